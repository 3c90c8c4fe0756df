//! The OAuth redirect query (or whole URL) through `parse_redirect`, against a fixed state
//! and against the state named by the input's first line.
#![no_main]

use bitrix24::auth::{parse_redirect, State};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let fixed = State::from_saved("5f2b9c0e");
    if let Ok(r) = parse_redirect(text, &fixed) {
        let _ = format!("{r:?}");
    }
    if let Some((state, query)) = text.split_once('\n') {
        let _ = parse_redirect(query, &State::from_saved(state));
    }
});
