//! Storage: everything that touches files. For now the one durable-replace helper; the log,
//! snapshots and the I/O trait that lets tests inject faults come with the durability issues.

pub mod io;
