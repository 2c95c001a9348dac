//! YAML read into a [`serde_yaml::Value`] under a budget of nodes and depth.
//!
//! Anchors and aliases let a few hundred bytes stand for billions of nodes ("billion
//! laughs"). serde_yaml stops such a document eventually, but only after expanding a great
//! deal of it. Building the value through a visitor that counts every node it is handed,
//! aliases expanded included, refuses the bomb after a number of nodes proportional to the
//! text's size — what a plain document of that size would cost anyway.

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_yaml::{Mapping, Number, Value};

/// Deepest nesting accepted; a tenant manifest needs five or six levels.
pub const MAX_DEPTH: usize = 64;
/// The node budget of a small text; larger texts get one node per two bytes.
pub const MIN_NODE_BUDGET: usize = 10_000;

/// The node budget shared by every document of `text`.
pub fn node_budget(text: &str) -> Cell<usize> {
    Cell::new(MIN_NODE_BUDGET.max(text.len() / 2))
}

/// One node to build, charged to `budget`.
#[derive(Clone, Copy)]
pub struct BoundedValue<'a> {
    budget: &'a Cell<usize>,
    depth: usize,
}

impl<'a> BoundedValue<'a> {
    pub fn new(budget: &'a Cell<usize>) -> Self {
        Self { budget, depth: 0 }
    }

    fn charge<E: de::Error>(&self) -> Result<(), E> {
        match self.budget.get().checked_sub(1) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(E::custom(
                "the manifest expands to too many nodes (YAML aliases are limited)",
            )),
        }
    }

    fn child<E: de::Error>(&self) -> Result<Self, E> {
        if self.depth >= MAX_DEPTH {
            return Err(E::custom(format!(
                "the manifest is nested deeper than {MAX_DEPTH} levels"
            )));
        }
        Ok(Self {
            budget: self.budget,
            depth: self.depth + 1,
        })
    }
}

impl<'de> DeserializeSeed<'de> for BoundedValue<'_> {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BoundedValue<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a YAML value")
    }

    fn visit_bool<E: de::Error>(self, value: bool) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Bool(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Number(Number::from(value)))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Number(Number::from(value)))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Number(Number::from(value)))
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::String(value.to_owned()))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::String(value))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Value, E> {
        self.charge()?;
        Ok(Value::Null)
    }

    fn visit_none<E: de::Error>(self) -> Result<Value, E> {
        self.visit_unit()
    }

    fn visit_some<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Value, D::Error> {
        self.deserialize(deserializer)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.charge()?;
        let child = self.child()?;
        let mut items = Vec::new();
        while let Some(item) = seq.next_element_seed(child)? {
            items.push(item);
        }
        Ok(Value::Sequence(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.charge()?;
        let child = self.child()?;
        let mut mapping = Mapping::new();
        while let Some(key) = map.next_key_seed(child)? {
            let value = map.next_value_seed(child)?;
            mapping.insert(key, value);
        }
        Ok(Value::Mapping(mapping))
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, _data: A) -> Result<Value, A::Error> {
        Err(de::Error::custom("YAML tags (`!name`) are not supported"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Vec<Value>, String> {
        let budget = node_budget(text);
        serde_yaml::Deserializer::from_str(text)
            .map(|document| {
                BoundedValue::new(&budget)
                    .deserialize(document)
                    .map_err(|e| e.to_string())
            })
            .collect()
    }

    #[test]
    fn plain_documents_read_as_serde_yaml_reads_them() {
        let text = "a: 1\nb: [x, 2.5, true, null]\nc: {d: -3}\n---\n- e\n";
        let expected: Vec<Value> = serde_yaml::Deserializer::from_str(text)
            .map(|document| serde::Deserialize::deserialize(document).unwrap())
            .collect();
        assert_eq!(parse(text).unwrap(), expected);
        // A few aliases are fine.
        let aliased = parse("base: &b {cpu: 1}\none: *b\ntwo: *b\n").unwrap();
        assert_eq!(aliased[0]["two"]["cpu"], Value::Number(1.into()));
    }

    #[test]
    fn alias_bombs_run_out_of_budget() {
        let mut bomb = String::from("l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for level in 1..9 {
            let aliases = vec![format!("*l{}", level - 1); 9].join(", ");
            bomb.push_str(&format!("l{level}: &l{level} [{aliases}]\n"));
        }
        let error = parse(&bomb).unwrap_err();
        assert!(error.contains("too many nodes"), "{error}");
    }

    #[test]
    fn deep_nesting_and_tags_are_refused() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        let error = parse(&deep).unwrap_err();
        assert!(error.contains("deeper than 64"), "{error}");
        let error = parse("a: !custom 1\n").unwrap_err();
        assert!(error.contains("tags"), "{error}");
    }
}
