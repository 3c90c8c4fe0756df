//! Durable token stores, keyed by portal (`member_id`).
