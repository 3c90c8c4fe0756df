//! Bitrix24 REST client (work in progress).
