//! A Sort that spills stays within its memory budget: a counting global allocator (this test
//! binary's own) records the most heap in use at once while a Flat File → Sort → Flat File flow
//! sorts more rows than the budget holds, and that peak must stay under the budget plus a fixed
//! allowance for what is not buffers (the source's read window, file write buffers, the
//! encoder of the spill files). The output is checked to be the sorted input, merge passes and
//! all. One test per binary, so nothing else allocates meanwhile.

#![allow(unsafe_code)] // a global allocator: `GlobalAlloc` is an unsafe trait with no safe wrapper.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

use ssisd_engine::model::RowDisposition;
use ssisd_engine::types::DataType;
use ssisd_pipeline::testing::{property, CsvFlow};
use ssisd_pipeline::{Outcome, PipelineEvent, RunSettings};

struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every call is passed on to the system allocator unchanged; only counters are added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller's contract is the system allocator's.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as above.
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            if new_size >= layout.size() {
                let grow = new_size - layout.size();
                let now = IN_USE.fetch_add(grow, Ordering::Relaxed) + grow;
                PEAK.fetch_max(now, Ordering::Relaxed);
            } else {
                IN_USE.fetch_sub(layout.size() - new_size, Ordering::Relaxed);
            }
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const ROWS: u64 = 200_000;
const BUDGET: usize = 6 * 1024 * 1024;
/// What a data flow allocates besides the buffers and sort state the budget counts: the
/// source's 2 MiB read window and the buffer it is filling, the destination's 1 MiB write
/// buffer, the spill files' write and read buffers, a buffer and its keys in the Sort's hands
/// before they are reserved, and the batches being encoded or decoded — with room to spare,
/// since threads' timing moves the peak. (Before the Sort counted its keys and wrote small
/// batches, the excess grew with the budget and with the number of runs instead.)
const ALLOWANCE: usize = 7 * 1024 * 1024;

fn key(i: u64) -> (String, u64) {
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0x5851_F42D_4C95_7F2D;
    x ^= x >> 29;
    (format!("customer {:05}", x % 20_000), (x >> 20) % 100_000)
}

#[test]
fn a_spilling_sort_keeps_its_heap_within_the_budget_and_sorts() {
    let mut text = String::from("id,name,amount\n");
    for i in 0..ROWS {
        let (name, cents) = key(i);
        text.push_str(&format!("{i},{name},{}.{:02}\n", cents / 100, cents % 100));
    }
    let mut f = CsvFlow::new();
    let amount = DataType::Numeric {
        precision: 10,
        scale: 2,
    };
    let cols = [
        ("id", DataType::I4),
        ("name", DataType::WStr { len: 20 }),
        ("amount", amount),
    ];
    let (src, so, lin) = f.source("In", &cols, &text);
    drop(text);
    let s = f.b.component(
        "Sort",
        "Microsoft.Sort",
        vec![property("EliminateDuplicates", "false")],
    );
    let si = f.b.input(s, "Sort Input");
    for (l, pos) in lin.iter().zip([0, 1, -2]) {
        f.b.input_column(
            s,
            si,
            *l,
            false,
            vec![property("NewSortKeyPosition", &pos.to_string())],
            RowDisposition::NotUsed,
        );
    }
    let out = f.b.output(s, "Sort Output", None, false, 0);
    let mut outs = Vec::new();
    for (i, l) in lin.iter().enumerate() {
        outs.push(f.b.output_column(
            s,
            out,
            cols[i].0,
            cols[i].1,
            vec![property("SortColumnId", &l.to_string())],
            RowDisposition::NotUsed,
        ));
    }
    f.b.path(src, so, s, si);
    f.destination("Out", (s, out), &outs);
    let spill = tempfile::tempdir().expect("spill dir");
    let settings = RunSettings {
        memory_budget: BUDGET,
        temp_storage: spill.path().to_str().expect("utf8").to_string(),
        ..RunSettings::default()
    };

    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let outcome = f.run_with(&settings);
    let peak = PEAK.load(Ordering::Relaxed) - before;
    assert!(
        matches!(outcome, Outcome::Success(_)),
        "the data flow failed: {outcome:?}"
    );

    let spilled = f.host.events.borrow().iter().find_map(|e| match e {
        PipelineEvent::Message { text, .. } if text.contains("spilled to disk") => {
            Some(text.clone())
        }
        _ => None,
    });
    let spilled = spilled.expect("the Sort spilled");
    eprintln!(
        "{spilled}\npeak heap during the run: {:.1} MiB",
        peak as f64 / 1048576.0
    );
    assert!(
        peak < BUDGET + ALLOWANCE,
        "the heap peaked at {peak} bytes, past the budget of {BUDGET} plus {ALLOWANCE}"
    );
    assert_eq!(std::fs::read_dir(spill.path()).expect("dir").count(), 0);

    // The output is the input sorted on name ascending, amount descending, stable in id.
    let mut expected: Vec<(String, u64, u64)> = (0..ROWS)
        .map(|i| {
            let (n, c) = key(i);
            (n, c, i)
        })
        .collect();
    expected.sort_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let written = f.output("Out").expect("the destination wrote its file");
    let mut lines = written.lines();
    assert_eq!(lines.next(), Some("id,name,amount"));
    let mut count = 0;
    for (line, (name, cents, id)) in lines.zip(&expected) {
        let want = format!("{id},{name},{}.{:02}", cents / 100, cents % 100);
        assert_eq!(line, want, "row {count}");
        count += 1;
    }
    assert_eq!(count as u64, ROWS);
}
