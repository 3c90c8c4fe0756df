//! PHP `parse_str` on any bytes; the invariants are in `bitrix24_sandbox::fuzzing::php_form`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| bitrix24_sandbox::fuzzing::php_form(data));
