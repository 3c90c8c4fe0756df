//! Units of measure (`catalog_measure`): the five a new portal has. Product rows name a unit
//! by its code (`measureCode`), catalog products by its id (`measure`).

/// One unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    /// `catalog_measure.id`.
    pub id: i64,
    /// OKEI code, e.g. 796.
    pub code: i64,
    /// Symbol, e.g. `pcs`.
    pub symbol: &'static str,
}

/// The units, the default (`pcs`, 796) last.
pub const ALL: [Measure; 5] = [
    Measure {
        id: 1,
        code: 6,
        symbol: "m",
    },
    Measure {
        id: 2,
        code: 112,
        symbol: "l",
    },
    Measure {
        id: 3,
        code: 163,
        symbol: "g",
    },
    Measure {
        id: 4,
        code: 166,
        symbol: "kg",
    },
    Measure {
        id: 5,
        code: 796,
        symbol: "pcs",
    },
];

/// The unit of a code.
pub fn by_code(code: i64) -> Option<Measure> {
    ALL.into_iter().find(|m| m.code == code)
}

/// The unit of an id.
pub fn by_id(id: i64) -> Option<Measure> {
    ALL.into_iter().find(|m| m.id == id)
}

/// The portal's default unit: pieces, 796.
pub fn default_measure() -> Measure {
    ALL[4]
}
