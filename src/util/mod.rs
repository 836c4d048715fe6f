//! Small pieces shared across the server: Redis-exact number parsing and formatting, glob
//! matching, quoting, background freeing and logging.

pub mod crc64;
pub mod glob;
pub mod lazyfree;
pub mod log;
pub mod longdouble;
pub mod memory;
pub mod num;
pub mod repr;
pub mod sys;
