//! Edits of a JSON payload's tree: most mutants stay valid JSON and reach the decoder's
//! field and variant handling instead of its tokenizer.

use serde_json::{Map, Value};

use crate::mutate::Rng;
use crate::Target;

/// Object keys and strings of the seeds, and the dictionary: names of fields and variants to
/// put where they do not belong.
pub(crate) fn words(target: &Target, pool: &[Vec<u8>]) -> Vec<String> {
    let mut words = Vec::new();
    for input in pool {
        if let Some(value) = input.get(target.header..).and_then(|p| serde_json::from_slice::<Value>(p).ok()) {
            collect(&value, &mut words);
        }
    }
    words.extend(target.dictionary.iter().filter_map(|t| String::from_utf8(t.clone()).ok()));
    words.sort();
    words.dedup();
    words.retain(|w| w.len() <= 256);
    if words.is_empty() {
        words.push("x".into());
    }
    words
}

fn collect(value: &Value, words: &mut Vec<String>) {
    match value {
        Value::String(s) => words.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| collect(v, words)),
        Value::Object(map) => {
            for (k, v) in map {
                words.push(k.clone());
                collect(v, words);
            }
        }
        _ => {}
    }
}

pub(crate) fn mutate(
    rng: &mut Rng,
    payload: &[u8],
    pool: &[Vec<u8>],
    header: usize,
    words: &[String],
) -> Option<Vec<u8>> {
    let mut root: Value = serde_json::from_slice(payload).ok()?;
    for _ in 0..1 + rng.below(3) {
        let n = count(&root);
        let mut k = rng.below(n);
        if let Some(node) = nth_mut(&mut root, &mut k) {
            edit(rng, node, pool, header, words);
        }
    }
    let text = if rng.chance(8) { serde_json::to_vec_pretty(&root) } else { serde_json::to_vec(&root) };
    text.ok()
}

fn count(value: &Value) -> usize {
    1 + match value {
        Value::Array(items) => items.iter().map(count).sum(),
        Value::Object(map) => map.values().map(count).sum(),
        _ => 0,
    }
}

fn nth_mut<'a>(value: &'a mut Value, k: &mut usize) -> Option<&'a mut Value> {
    if *k == 0 {
        return Some(value);
    }
    *k -= 1;
    match value {
        Value::Array(items) => items.iter_mut().find_map(|v| nth_mut(v, k)),
        Value::Object(map) => map.values_mut().find_map(|v| nth_mut(v, k)),
        _ => None,
    }
}

/// A subtree of another input of the pool, if it is JSON.
fn donor(rng: &mut Rng, pool: &[Vec<u8>], header: usize) -> Option<Value> {
    let other = rng.pick(pool).get(header..)?;
    let mut value: Value = serde_json::from_slice(other).ok()?;
    let mut k = rng.below(count(&value));
    nth_mut(&mut value, &mut k).map(|v| v.take())
}

fn scalar(rng: &mut Rng, words: &[String]) -> Value {
    match rng.below(14) {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(2)),
        2 => Value::from(0),
        3 => Value::from(-1),
        4 => Value::from(u64::MAX),
        5 => Value::from(i64::MIN),
        6 => Value::from(1u64 << 53 | 1),
        7 => Value::from(1.5),
        8 => Value::from(1e308),
        9 => Value::from(""),
        10 => Value::from("\u{0}\u{ffff}é\\\"\n"),
        11 => Value::from("a".repeat(1 + rng.below(4096))),
        12 => Value::Array(Vec::new()),
        _ => Value::from(rng.pick(words).clone()),
    }
}

fn edit(rng: &mut Rng, node: &mut Value, pool: &[Vec<u8>], header: usize, words: &[String]) {
    // Kind-specific edits first; otherwise replace or wrap the node.
    match (rng.below(3), &mut *node) {
        (0 | 1, Value::Object(map)) if !map.is_empty() || rng.chance(2) => return edit_object(rng, map, words),
        (0 | 1, Value::Array(items)) => return edit_array(rng, items, words),
        (0 | 1, Value::String(text)) => return edit_string(rng, text, words),
        (0 | 1, Value::Number(number)) => {
            *node = edit_number(rng, number);
            return;
        }
        _ => {}
    }
    *node = match rng.below(6) {
        0 | 1 => donor(rng, pool, header).unwrap_or_else(|| scalar(rng, words)),
        2 => Value::Array(vec![node.take()]),
        3 => {
            let mut map = Map::new();
            map.insert(rng.pick(words).clone(), node.take());
            Value::Object(map)
        }
        _ => scalar(rng, words),
    };
}

fn edit_object(rng: &mut Rng, map: &mut Map<String, Value>, words: &[String]) {
    let keys: Vec<String> = map.keys().cloned().collect();
    match rng.below(4) {
        0 if !keys.is_empty() => {
            map.remove(rng.pick(&keys));
        }
        1 if !keys.is_empty() => {
            let key = rng.pick(&keys).clone();
            if let Some(value) = map.remove(&key) {
                map.insert(rng.pick(words).clone(), value);
            }
        }
        2 if !keys.is_empty() => {
            let value = map[rng.pick(&keys)].clone();
            map.insert(rng.pick(words).clone(), value);
        }
        _ => {
            let value = scalar(rng, words);
            map.insert(rng.pick(words).clone(), value);
        }
    }
}

fn edit_array(rng: &mut Rng, items: &mut Vec<Value>, words: &[String]) {
    let n = items.len();
    match rng.below(5) {
        0 if n > 0 => {
            items.remove(rng.below(n));
        }
        1 if n > 0 => {
            let item = items[rng.below(n)].clone();
            let copies = if rng.chance(8) { 1 + rng.below(200) } else { 1 };
            for _ in 0..copies {
                items.insert(rng.below(items.len() + 1), item.clone());
            }
        }
        2 if n > 1 => items.swap(rng.below(n), rng.below(n)),
        3 => items.clear(),
        _ => items.push(scalar(rng, words)),
    }
}

fn edit_string(rng: &mut Rng, text: &mut String, words: &[String]) {
    match rng.below(7) {
        0 => *text = rng.pick(words).clone(),
        1 => text.push_str(rng.pick(words).as_str()),
        2 => {
            let cut = rng.below(text.len() + 1);
            let cut = (0..=cut).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text.truncate(cut);
        }
        3 => *text = text.repeat(2 + rng.below(8)),
        4 => {
            let at = (0..=rng.below(text.len() + 1)).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            let c = char::from_u32(rng.next_u64() as u32 % 0x11_0000).unwrap_or('\u{fffd}');
            text.insert(at, c);
        }
        5 => text.make_ascii_uppercase(),
        _ => *text = crate::mutate::Rng::new(rng.next_u64()).next_u64().to_string(),
    }
}

fn edit_number(rng: &mut Rng, number: &serde_json::Number) -> Value {
    let as_i = number.as_i64().unwrap_or(0);
    match rng.below(7) {
        0 => Value::from(as_i.wrapping_add(1)),
        1 => Value::from(as_i.wrapping_sub(1)),
        2 => Value::from(as_i.wrapping_neg()),
        3 => Value::from(number.as_u64().unwrap_or(0).wrapping_mul(1 << 32)),
        4 => Value::from(number.as_f64().unwrap_or(0.0) + 0.5),
        5 => Value::from(number.to_string()),
        _ => Value::from(*[0u64, 1, u64::from(u32::MAX), i64::MAX as u64, u64::MAX].get(rng.below(5)).unwrap_or(&0)),
    }
}
