//! A `batch` answer's `result` (JSON) read as the results of a batch whose commands are the
//! keys the answer names plus a few it does not: every read (raw, typed as a lead, total,
//! next, time, failed keys) must be a value or an error.
#![no_main]

use bitrix24::crm::Lead;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fuzz_target!(|data: &[u8]| {
    let Ok(result) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let mut methods: Vec<(String, String)> = ["0", "1", "lead", "absent"]
        .iter()
        .map(|k| (k.to_string(), "crm.lead.get".to_string()))
        .collect();
    if let Some(Value::Object(named)) = result.get("result") {
        methods.extend(
            named
                .keys()
                .take(60)
                .map(|k| (k.clone(), "crm.lead.list".to_string())),
        );
    }
    let halt = data.len() % 2 == 0;
    let _ = bitrix24::fuzzing::batch_results::<Lead>(&result, &methods, halt);
});
