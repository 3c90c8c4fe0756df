//! An HTTP answer (status from the first two bytes, the rest the body) through the envelope
//! decoding, then its `result` into typed CRM entities. Every outcome must be a value or an
//! error, and what is accepted must be in range: `time` finite and non-negative, `next` and
//! `total` at most 2^53.
#![no_main]

use bitrix24::crm::Lead;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (status, body) = match data {
        [a, b, rest @ ..] => (100 + u16::from_le_bytes([*a, *b]) % 500, rest),
        _ => (200, data),
    };
    let Ok(answer) = bitrix24::fuzzing::decode_envelope(status, body) else {
        return;
    };
    for n in [answer.next, answer.total].into_iter().flatten() {
        assert!(n <= 1 << 53, "count out of range: {n}");
    }
    if let Some(t) = &answer.time {
        for x in [t.start, t.finish, t.duration, t.processing, t.operating]
            .into_iter()
            .flatten()
        {
            assert!(x.is_finite() && x >= 0.0, "time out of range: {x}");
            let _ = std::time::Duration::from_secs_f64(x);
        }
        assert!(t.operating_reset_at.is_none_or(|r| r >= 0));
    }
    let _ = Lead::from_value(answer.result.clone());
    let _ = serde_json::from_value::<Vec<Lead>>(answer.result);
});
