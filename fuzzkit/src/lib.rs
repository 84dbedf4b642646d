//! Fuzzing that runs in `cargo nextest run` on the stable toolchain.
//!
//! The libFuzzer targets in `fuzz/` need nightly and hours; CI has neither. A [`Target`] here
//! takes the same check function, valid example inputs (seeds) and a dictionary, and for a
//! time budget feeds the check mutations of them: byte-level edits, dictionary tokens,
//! splices between inputs, and for JSON payloads edits of the parsed tree. Inputs the check
//! accepts join the pool that later mutations start from, a cheap stand-in for coverage
//! feedback. Every input must return within a deadline and must not panic.
//!
//! A failing input is written to `fuzz/regressions/<target>/` (the path is printed) before the
//! test fails; every file there is replayed first on each run, so a committed file guards the
//! bug for good. The libFuzzer targets take the same input layout, so their crash artifacts
//! can be copied there as they are (`scripts/fuzz-long.sh` does it).
//!
//! Knobs (environment variables):
//! - `TRAEFIKEE_FUZZ_SECS`: seconds of mutated inputs per target (default 2; 0 replays the
//!   regressions and seeds only).
//! - `TRAEFIKEE_FUZZ_ITERS`: stop after this many mutated inputs, whatever the time.
//! - `TRAEFIKEE_FUZZ_SEED`: the random seed (default: one per target, so CI runs repeat);
//!   `random` picks one and prints it.
//! - `TRAEFIKEE_FUZZ_DEADLINE_MS`: the most one input may take (default 5000).
//! - `TRAEFIKEE_FUZZ_REGRESSIONS`: where regression cases live (default `fuzz/regressions`).
//! - `TRAEFIKEE_FUZZ_CORPUS`: if set, a directory where each target leaves its final pool
//!   (seeds and accepted mutants) in `<dir>/<target>/`: a starting corpus for libFuzzer.

mod json;
mod mutate;

use std::cell::{Cell, RefCell};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, Once};
use std::time::{Duration, Instant};

pub use mutate::Rng;

/// Seconds of mutated inputs per target when `TRAEFIKEE_FUZZ_SECS` is unset: with the
/// targets of the workspace this keeps the harness within about 30 s of test time.
pub const DEFAULT_SECS: f64 = 2.0;
const DEFAULT_DEADLINE_MS: u64 = 5_000;
/// Time spent shrinking a crashing input before it is saved.
const MINIMIZE_FOR: Duration = Duration::from_secs(5);

/// One fuzz target: a name (its regression directory, and the libFuzzer target of the same
/// input layout), seeds, and how to mutate them.
#[derive(Debug, Clone)]
pub struct Target {
    name: String,
    seeds: Vec<Vec<u8>>,
    dictionary: Vec<Vec<u8>>,
    header: usize,
    json: bool,
    text: bool,
    block: usize,
    max_len: usize,
    min_accepted: u64,
}

/// What a run did, printed at its end.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub target: String,
    pub regressions: u64,
    pub seeds: u64,
    pub mutated: u64,
    /// Inputs (of all kinds) the check accepted.
    pub accepted: u64,
    pub pool: usize,
    pub elapsed: Duration,
}

impl Target {
    pub fn new(name: &str) -> Self {
        Target {
            name: name.to_owned(),
            seeds: Vec::new(),
            dictionary: Vec::new(),
            header: 0,
            json: false,
            text: false,
            block: 0,
            max_len: 64 << 10,
            min_accepted: 0,
        }
    }

    /// Valid example inputs: the corpus mutations start from.
    pub fn seeds<I: IntoIterator<Item = B>, B: Into<Vec<u8>>>(mut self, seeds: I) -> Self {
        self.seeds.extend(seeds.into_iter().map(Into::into));
        self
    }

    /// Tokens of the input language (keywords, delimiters, escapes) to insert.
    pub fn dictionary<I: IntoIterator<Item = B>, B: AsRef<[u8]>>(mut self, tokens: I) -> Self {
        self.dictionary.extend(tokens.into_iter().map(|t| t.as_ref().to_vec()));
        self
    }

    /// The first `n` bytes select what the rest is (a format, a message type): mutations
    /// rarely touch them.
    pub fn header(mut self, n: usize) -> Self {
        self.header = n;
        self
    }

    /// The payload after the header is JSON: mutate its parsed tree too (values of other
    /// types, keys removed, added or renamed, subtrees moved between seeds), using the keys
    /// and strings of the seeds as a dictionary.
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }

    /// The payload is text: most mutants are kept valid UTF-8.
    pub fn text(mut self) -> Self {
        self.text = true;
        self
    }

    /// The payload is made of `size`-byte blocks (tar): also move, repeat and drop blocks.
    pub fn blocks(mut self, size: usize) -> Self {
        self.block = size;
        self
    }

    /// The longest input generated (default 64 KiB).
    pub fn max_len(mut self, n: usize) -> Self {
        self.max_len = n;
        self
    }

    /// Fail if fewer inputs than this were accepted. Give the number of valid seeds: a seed
    /// that the code no longer accepts (a format changed) then fails the run instead of
    /// silently fuzzing nothing but refusals.
    pub fn expect_accepted(mut self, n: u64) -> Self {
        self.min_accepted = n;
        self
    }

    /// Runs the check on every regression case, every seed, then on mutants until the
    /// budget is spent. `check` returns whether the input was accepted (parsed, decoded); it
    /// must not panic (failed assertions of invariants are panics too) and must return
    /// within the deadline.
    pub fn run<C>(self, check: C) -> Report
    where
        C: FnMut(&[u8]) -> bool + Send + 'static,
    {
        self.run_with(move || check)
    }

    /// As [`Target::run`], for checks holding state that must be made on the thread that
    /// runs them (a runtime, a database transaction).
    pub fn run_with<M, C>(self, make: M) -> Report
    where
        M: FnOnce() -> C + Send + 'static,
        C: FnMut(&[u8]) -> bool,
    {
        install_panic_hook();
        let budget = Budget::from_env(&self.name);
        let dir = regressions_dir().join(&self.name);
        let regressions = read_regressions(&dir);
        let watch = Arc::new(Watch::default());
        let (tx, rx) = mpsc::channel();
        let worker_watch = watch.clone();
        let target = self.clone();
        let worker_budget = budget.clone();
        std::thread::Builder::new()
            .name(format!("fuzz-{}", self.name))
            .spawn(move || {
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    let check = make();
                    fuzz(&target, &worker_budget, regressions, &worker_watch, check)
                }));
                let _ = tx.send(outcome.unwrap_or_else(|p| Err(Failure::harness(panic_message(&*p)))));
            })
            .expect("spawn the fuzz worker");

        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(Ok(report)) => {
                    println!(
                        "fuzz {}: {} regression cases, {} seeds, {} mutants in {:.1} s (seed {:#x}); {} accepted, pool {}",
                        report.target,
                        report.regressions,
                        report.seeds,
                        report.mutated,
                        report.elapsed.as_secs_f64(),
                        budget.seed,
                        report.accepted,
                        report.pool
                    );
                    assert!(
                        report.accepted >= self.min_accepted,
                        "fuzz {}: only {} inputs were accepted (expected at least {}): are the seeds still valid inputs?",
                        self.name,
                        report.accepted,
                        self.min_accepted
                    );
                    return report;
                }
                Ok(Err(failure)) => failure.fail(&self.name, &dir),
                Err(RecvTimeoutError::Timeout) => {
                    if watch.busy_for() > budget.deadline {
                        let input = watch.input.lock().unwrap_or_else(|p| p.into_inner()).clone();
                        let message = format!("no answer within {} ms", budget.deadline.as_millis());
                        Failure { kind: "hang", message, input, known: None }.fail(&self.name, &dir);
                    }
                }
                Err(RecvTimeoutError::Disconnected) => panic!("fuzz {}: the worker thread vanished", self.name),
            }
        }
    }
}

#[derive(Debug, Clone)]
struct Budget {
    time: Duration,
    iterations: u64,
    seed: u64,
    deadline: Duration,
}

impl Budget {
    fn from_env(name: &str) -> Self {
        let var = |key: &str| std::env::var(key).ok().filter(|v| !v.trim().is_empty());
        let secs = var("TRAEFIKEE_FUZZ_SECS").map(|v| parse_or_panic::<f64>("TRAEFIKEE_FUZZ_SECS", &v));
        let seed = match var("TRAEFIKEE_FUZZ_SEED").as_deref() {
            None => fnv1a(name.as_bytes()),
            Some("random") => fnv1a(format!("{name}{:?}", std::time::SystemTime::now()).as_bytes()),
            Some(v) => {
                let v = v.trim_start_matches("0x");
                u64::from_str_radix(v, 16).unwrap_or_else(|_| panic!("TRAEFIKEE_FUZZ_SEED={v}: give hex digits"))
            }
        };
        Budget {
            time: Duration::from_secs_f64(secs.unwrap_or(DEFAULT_SECS).max(0.0)),
            iterations: var("TRAEFIKEE_FUZZ_ITERS").map_or(u64::MAX, |v| parse_or_panic("TRAEFIKEE_FUZZ_ITERS", &v)),
            seed,
            deadline: Duration::from_millis(
                var("TRAEFIKEE_FUZZ_DEADLINE_MS")
                    .map_or(DEFAULT_DEADLINE_MS, |v| parse_or_panic("TRAEFIKEE_FUZZ_DEADLINE_MS", &v)),
            ),
        }
    }
}

fn parse_or_panic<T: std::str::FromStr>(key: &str, value: &str) -> T {
    value.trim().parse().unwrap_or_else(|_| panic!("{key}={value}: not a number"))
}

/// Where the worker is: the input it runs, and since when (for the deadline).
#[derive(Default)]
struct Watch {
    input: Mutex<Vec<u8>>,
    /// Microseconds since `origin` when the current input started, plus one; 0 when idle.
    started: AtomicU64,
    origin: OnceInstant,
}

#[derive(Default)]
struct OnceInstant(std::sync::OnceLock<Instant>);

impl OnceInstant {
    fn micros(&self) -> u64 {
        self.0.get_or_init(Instant::now).elapsed().as_micros() as u64
    }
}

impl Watch {
    fn busy_for(&self) -> Duration {
        match self.started.load(Ordering::Acquire) {
            0 => Duration::ZERO,
            started => Duration::from_micros(self.origin.micros().saturating_sub(started - 1)),
        }
    }

    /// Runs the check on one input; a panic becomes its message.
    fn attempt<C: FnMut(&[u8]) -> bool>(&self, check: &mut C, input: &[u8]) -> Result<bool, String> {
        {
            let mut slot = self.input.lock().unwrap_or_else(|p| p.into_inner());
            slot.clear();
            slot.extend_from_slice(input);
        }
        self.started.store(self.origin.micros() + 1, Ordering::Release);
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| check(input)));
        self.started.store(0, Ordering::Release);
        result.map_err(|p| panic_message(&*p))
    }
}

struct Failure {
    kind: &'static str,
    message: String,
    input: Vec<u8>,
    /// The regression file it came from, if it is one.
    known: Option<PathBuf>,
}

impl Failure {
    fn harness(message: String) -> Self {
        Failure { kind: "harness", message, input: Vec::new(), known: None }
    }

    fn fail(self, target: &str, dir: &Path) -> ! {
        if self.kind == "harness" {
            panic!("fuzz {target}: the harness itself failed: {}", self.message);
        }
        let path = match self.known {
            Some(path) => path,
            None => save(dir, self.kind, &self.input),
        };
        panic!(
            "fuzz {target}: {} on a {}-byte input: {}\n  input saved as {}\n  (commit it: every run replays it; reproduce with \
             `cargo nextest run -E 'test(fuzz_{target})'`)\n  input: {}",
            self.kind,
            self.input.len(),
            self.message,
            path.display(),
            preview(&self.input)
        );
    }
}

fn save(dir: &Path, kind: &str, input: &[u8]) -> PathBuf {
    let path = dir.join(format!("{kind}-{:016x}", fnv1a(input)));
    if let Err(e) = std::fs::create_dir_all(dir).and_then(|()| std::fs::write(&path, input)) {
        eprintln!("could not save an input to {}: {e}", path.display());
    }
    path
}

fn preview(input: &[u8]) -> String {
    let shown = &input[..input.len().min(200)];
    let mut text = format!("{:?}", String::from_utf8_lossy(shown));
    if shown.len() < input.len() {
        text.push_str(" ...");
    }
    text
}

/// `fuzz/regressions` of the workspace, unless `TRAEFIKEE_FUZZ_REGRESSIONS` says otherwise.
pub fn regressions_dir() -> PathBuf {
    match std::env::var_os("TRAEFIKEE_FUZZ_REGRESSIONS") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap_or(Path::new("..")).join("fuzz/regressions"),
    }
}

fn read_regressions(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| !n.starts_with('.') && !n.ends_with(".md")))
        .collect();
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()));
            (p, bytes)
        })
        .collect()
}

fn fuzz<C: FnMut(&[u8]) -> bool>(
    target: &Target,
    budget: &Budget,
    regressions: Vec<(PathBuf, Vec<u8>)>,
    watch: &Watch,
    mut check: C,
) -> Result<Report, Failure> {
    let start = Instant::now();
    let mut report = Report { target: target.name.clone(), ..Report::default() };
    for (path, input) in regressions {
        match watch.attempt(&mut check, &input) {
            Ok(accepted) => report.accepted += u64::from(accepted),
            Err(message) => return Err(Failure { kind: "crash", message, input, known: Some(path) }),
        }
        report.regressions += 1;
    }
    let mut mutator = mutate::Mutator::new(target, budget.seed);
    for seed in &target.seeds {
        match watch.attempt(&mut check, seed) {
            Ok(accepted) => report.accepted += u64::from(accepted),
            Err(message) => return Err(crashed(watch, &mut check, seed.clone(), message)),
        }
        report.seeds += 1;
    }
    let mutate_from = Instant::now();
    while report.mutated < budget.iterations && mutate_from.elapsed() < budget.time {
        let input = mutator.next_input();
        match watch.attempt(&mut check, &input) {
            Ok(true) => {
                report.accepted += 1;
                mutator.keep(input);
            }
            Ok(false) => {}
            Err(message) => {
                let message = format!("{message} (mutant {} of seed {:#x})", report.mutated + 1, budget.seed);
                return Err(crashed(watch, &mut check, input, message));
            }
        }
        report.mutated += 1;
    }
    report.pool = mutator.pool().len();
    report.elapsed = start.elapsed();
    if let Some(dir) = std::env::var_os("TRAEFIKEE_FUZZ_CORPUS") {
        let dir = PathBuf::from(dir).join(&target.name);
        for input in mutator.pool() {
            save(&dir, "pool", input);
        }
    }
    Ok(report)
}

fn crashed<C: FnMut(&[u8]) -> bool>(watch: &Watch, check: &mut C, input: Vec<u8>, message: String) -> Failure {
    let location = LAST_PANIC.with(|l| l.borrow().clone());
    let input = minimize(watch, check, input, location.as_deref());
    Failure { kind: "crash", message, input, known: None }
}

/// Removes chunks of the input while it still panics at the same place.
fn minimize<C: FnMut(&[u8]) -> bool>(watch: &Watch, check: &mut C, mut input: Vec<u8>, at: Option<&str>) -> Vec<u8> {
    let until = Instant::now() + MINIMIZE_FOR;
    QUIET.with(|q| q.set(true));
    let mut chunk = input.len().div_ceil(2);
    while chunk > 0 && Instant::now() < until {
        let mut i = 0;
        let mut shrunk = false;
        while i < input.len() && Instant::now() < until {
            let mut candidate = input[..i].to_vec();
            candidate.extend_from_slice(&input[(i + chunk).min(input.len())..]);
            let same_panic = watch.attempt(check, &candidate).is_err()
                && LAST_PANIC.with(|l| l.borrow().as_deref() == at && at.is_some());
            if same_panic {
                input = candidate;
                shrunk = true;
            } else {
                i += chunk;
            }
        }
        if !shrunk {
            chunk /= 2;
        }
    }
    QUIET.with(|q| q.set(false));
    input
}

thread_local! {
    static QUIET: Cell<bool> = const { Cell::new(false) };
    static LAST_PANIC: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Notes where each panic happened (so shrinking keeps the same bug) and keeps the default
/// report out of the output while an input is being shrunk.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            LAST_PANIC.with(|l| *l.borrow_mut() = info.location().map(|l| l.to_string()));
            if !QUIET.with(Cell::get) {
                previous(info);
            }
        }));
    });
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    let text = payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into());
    match LAST_PANIC.with(|l| l.borrow().clone()) {
        Some(at) => format!("panicked at {at}: {text}"),
        None => format!("panicked: {text}"),
    }
}

pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("fuzzkit-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_crash_is_shrunk_and_saved_where_the_next_run_replays_it() {
        let dir = scratch("crash");
        let target = Target::new("t").seeds(["hello world"]).dictionary(["BOOM"]).text();
        let budget = Budget { time: Duration::from_secs(20), iterations: u64::MAX, seed: 7, deadline: Duration::MAX };
        install_panic_hook();
        let failure = fuzz(&target, &budget, Vec::new(), &Watch::default(), |input: &[u8]| {
            assert!(!input.windows(4).any(|w| w == b"BOOM"), "boom");
            true
        })
        .expect_err("the dictionary token is found");
        assert_eq!(failure.input, b"BOOM", "shrunk to the token");
        assert!(failure.message.contains("boom") && failure.message.contains("lib.rs"), "{}", failure.message);

        let saved = save(&dir.join("t"), failure.kind, &failure.input);
        let replayed = read_regressions(&dir.join("t"));
        assert_eq!(replayed, vec![(saved.clone(), b"BOOM".to_vec())]);
        let budget = Budget { iterations: 100, ..budget };
        let again = fuzz(&target, &budget, replayed, &Watch::default(), |input: &[u8]| input != b"BOOM")
            .map(|r| r.regressions)
            .unwrap_or_default();
        assert_eq!(again, 1);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_hang_is_caught_by_the_deadline() {
        let dir = scratch("hang");
        std::env::set_var("TRAEFIKEE_FUZZ_REGRESSIONS", &dir);
        std::env::set_var("TRAEFIKEE_FUZZ_DEADLINE_MS", "200");
        let run = std::thread::spawn(|| {
            Target::new("slow").seeds(["ok", "wait"]).run(|input: &[u8]| {
                if input == b"wait" {
                    std::thread::sleep(Duration::from_secs(3600));
                }
                true
            })
        });
        let message = panic_message(&*run.join().expect_err("the hang fails the run"));
        std::env::remove_var("TRAEFIKEE_FUZZ_DEADLINE_MS");
        std::env::remove_var("TRAEFIKEE_FUZZ_REGRESSIONS");
        assert!(message.contains("hang") && message.contains("within 200 ms"), "{message}");
        let saved = read_regressions(&dir.join("slow"));
        assert_eq!(saved.len(), 1);
        assert_eq!(saved[0].1, b"wait");
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn mutants_stay_within_bounds_and_json_mutants_often_parse() {
        let target = Target::new("j").json().max_len(300).seeds([r#"{"a":[1,"x",{"b":null}],"c":true}"#]);
        let mut mutator = mutate::Mutator::new(&target, 1);
        let mut parsed = 0;
        for _ in 0..5000 {
            let input = mutator.next_input();
            assert!(input.len() <= 300);
            parsed += usize::from(serde_json::from_slice::<serde_json::Value>(&input).is_ok());
        }
        assert!(parsed > 2500, "{parsed} of 5000 JSON mutants parse");
    }
}
