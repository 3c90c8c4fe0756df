//! Typed CRM: entities, ids, fields, filters.
