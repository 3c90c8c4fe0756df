//! Batch commands with `$result[...]` references on any bytes; the invariants are in
//! `bitrix24_sandbox::fuzzing::batch_commands`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| bitrix24_sandbox::fuzzing::batch_commands(data));
