//! Quoting of binary strings the way Redis shows them (MONITOR lines, CLIENT LIST fields):
//! printable bytes as they are, `\n \r \t \a \b \\ \"` escaped, anything else as `\xHH`.

/// Appends `s` in double quotes with Redis's escapes.
pub fn quote_into(s: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    for &c in s {
        match c {
            b'\\' | b'"' => {
                out.push(b'\\');
                out.push(c);
            }
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            7 => out.extend_from_slice(b"\\a"),
            8 => out.extend_from_slice(b"\\b"),
            c if c.is_ascii_graphic() || c == b' ' => out.push(c),
            c => out.extend_from_slice(format!("\\x{c:02x}").as_bytes()),
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes_like_redis() {
        let mut v = Vec::new();
        super::quote_into(b"a b\"\\\n\x01\xff", &mut v);
        assert_eq!(v, b"\"a b\\\"\\\\\\n\\x01\\xff\"");
    }
}
