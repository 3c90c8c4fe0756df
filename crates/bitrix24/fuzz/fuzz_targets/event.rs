//! A form-encoded event post through `parse_event` and `verify`, and the same bytes as an
//! install call (`parse_install`, the first line as the query string).
#![no_main]

use bitrix24::events::{parse_event, verify};
use bitrix24::portals::lifecycle::parse_install;
use bitrix24::SecretString;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(event) = parse_event(data) {
        let _ = verify(
            &event,
            &SecretString::from("0123456789abcdef0123456789abcdef"),
        );
        if let Some(ts) = event.ts {
            assert!(ts >= 0, "ts out of range: {ts}");
        }
        let _ = format!("{event:?}");
    }
    let (query, body) = match data.iter().position(|b| *b == b'\n') {
        Some(at) => (&data[..at], &data[at + 1..]),
        None => (&b""[..], data),
    };
    if let Ok(query) = std::str::from_utf8(query) {
        if let Ok(install) = parse_install(query, body) {
            let record = install.token_record(1);
            let _ = format!("{install:?} {record:?}");
        }
    }
});
