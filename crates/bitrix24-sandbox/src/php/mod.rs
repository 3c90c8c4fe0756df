//! PHP semantics the portal exposes on the wire: `parse_str` form decoding, the flags of its
//! `json_encode`, and the loose scalar conversions (`intval`, truthiness) methods apply.
//!
//! A PHP array is modelled as a JSON object with string keys in insertion order; whether it
//! prints as a list or a map is decided at encoding time, exactly as PHP does.

pub mod form;
pub mod json;
pub mod value;
