//! The indexed extension lookup (`find`) against the straightforward walk
//! (`find_linear`) on many dialled strings, roots, priorities, labels and
//! caller ids, over the shipped dialplans and one built to hit every corner
//! of the index: they must return the same extension, priority and status.

use std::path::{Path, PathBuf};

use asterism::config::{LoadOptions, load, loader::load_str};
use asterism::pbx::dialplan::Dialplan;
use asterism::pbx::find::{Found, Status, Want, find, find_linear};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn dialplan_in(dir: &Path) -> Dialplan {
    let cfg = load("extensions.conf", &LoadOptions::new(dir))
        .expect("extensions.conf loads")
        .expect("extensions.conf exists");
    Dialplan::from_config(&cfg)
}

/// What a lookup answered, comparable across the two implementations.
fn outcome(r: Result<Found<'_>, Status>) -> Result<(String, String, i32, usize), Status> {
    r.map(|f| {
        (
            f.context.to_string(),
            f.exten_name.to_string(),
            f.priority.priority,
            f.priority as *const _ as usize,
        )
    })
}

/// A small fixed-seed generator, so failures reproduce.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Dialled strings worth trying on `plan`: its literal names (every
/// `stride`th), with `-` added, shortened, lengthened; strings that its
/// patterns match; random strings; and the usual specials.
fn numbers(plan: &Dialplan, stride: usize, random: usize, seed: u64) -> Vec<String> {
    let mut out: Vec<String> = [
        "",
        "s",
        "h",
        "i",
        "t",
        "e",
        "-",
        "--",
        "_X.",
        "_1XX",
        "_X",
        "_.",
        "_!",
        "1",
        "12",
        "123",
        "1234567",
        "18005551212",
        "555-1212",
        "*",
        "#",
        "9",
        "0",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = Lcg(seed);
    let names: Vec<&str> = plan
        .contexts
        .iter()
        .flat_map(|c| &c.extensions)
        .map(|e| e.name.as_str())
        .collect();
    for (i, name) in names.iter().enumerate() {
        let is_pattern = name.starts_with('_');
        if !is_pattern && i % stride != 0 {
            continue;
        }
        if is_pattern {
            out.push(name.to_string());
            // Fill the pattern in with a character each position accepts.
            let mut filled = String::new();
            let mut in_set = false;
            for c in name[1..].chars() {
                match c {
                    '[' => in_set = true,
                    ']' => in_set = false,
                    _ if in_set => {}
                    'X' | 'x' => filled.push(char::from(b'0' + rng.below(10) as u8)),
                    'N' | 'n' => filled.push(char::from(b'2' + rng.below(8) as u8)),
                    'Z' | 'z' => filled.push(char::from(b'1' + rng.below(9) as u8)),
                    '.' | '!' => {
                        for _ in 0..rng.below(4) {
                            filled.push(char::from(b'0' + rng.below(10) as u8));
                        }
                        break;
                    }
                    '-' => {}
                    c => filled.push(c),
                }
                if c == ']' {
                    filled.push(char::from(b'0' + rng.below(10) as u8));
                }
            }
            out.push(filled);
            continue;
        }
        out.push(name.to_string());
        if name.len() > 1 {
            out.push(format!("{}-{}", &name[..1], &name[1..]));
            out.push(name[..name.len() - 1].to_string());
        }
        out.push(format!("{name}1"));
        out.push(format!("-{name}-"));
    }
    let alphabet = b"0123456789*#-abs_";
    for _ in 0..random {
        let len = rng.below(13);
        let s: String = (0..len)
            .map(|_| char::from(alphabet[rng.below(alphabet.len())]))
            .collect();
        out.push(s);
        let digits: String = (0..len)
            .map(|_| char::from(b'0' + rng.below(10) as u8))
            .collect();
        out.push(digits);
    }
    out.sort();
    out.dedup();
    out
}

fn labels(plan: &Dialplan) -> Vec<String> {
    let mut l: Vec<String> = plan
        .contexts
        .iter()
        .flat_map(|c| &c.extensions)
        .flat_map(|e| &e.priorities)
        .filter_map(|p| p.label.clone())
        .collect();
    l.push("nosuchlabel".into());
    l.sort();
    l.dedup();
    l
}

/// Compares the two lookups on every combination; returns how many ran.
fn compare(plan: &Dialplan, roots: &[&str], numbers: &[String], cids: &[Option<&str>]) -> usize {
    let labels = labels(plan);
    let mut wants: Vec<Want<'_>> = vec![
        Want::Priority(1),
        Want::Priority(2),
        Want::Priority(3),
        Want::Priority(-1),
    ];
    wants.extend(labels.iter().map(|l| Want::Label(l)));
    compare_wants(plan, roots, numbers, cids, &wants)
}

fn compare_wants(
    plan: &Dialplan,
    roots: &[&str],
    numbers: &[String],
    cids: &[Option<&str>],
    wants: &[Want<'_>],
) -> usize {
    let mut n = 0;
    for root in roots {
        for number in numbers {
            for want in wants {
                for cid in cids {
                    let fast = outcome(find(plan, root, number, *want, *cid));
                    let slow = outcome(find_linear(plan, root, number, *want, *cid));
                    assert_eq!(
                        fast, slow,
                        "context {root:?}, exten {number:?}, {want:?}, callerid {cid:?}"
                    );
                    n += 1;
                }
            }
        }
    }
    n
}

fn all_roots(plan: &Dialplan) -> Vec<&str> {
    let mut r: Vec<&str> = plan.contexts.iter().map(|c| c.name.as_str()).collect();
    r.push("nosuchcontext");
    r
}

#[test]
fn large_dialplan_agrees() {
    let plan = dialplan_in(&repo().join("compat-configs/large"));
    // The straightforward walk is slow here (10,000 names), so fewer
    // combinations: the roots at the start, middle and end of the include
    // chain, and priorities that exist, do not, and a label.
    let roots = ["ctx00", "ctx25", "ctx49", "nosuch"];
    let numbers = numbers(&plan, 97, 150, 1);
    assert!(numbers.len() > 1000, "{}", numbers.len());
    let wants = [Want::Priority(1), Want::Priority(3), Want::Label("x")];
    let n = compare_wants(&plan, &roots, &numbers, &[None], &wants);
    assert!(n > 10_000, "{n}");
}

/// A loaded dialplan edited in place (nothing does it) is still answered
/// right: the edited context is searched without its tables.
#[test]
fn edited_dialplan_still_agrees() {
    let cfg = load_str(
        "extensions.conf",
        CORNERS,
        &LoadOptions::new("/nonexistent"),
    )
    .expect("corner dialplan loads");
    let mut plan = Dialplan::from_config(&cfg);
    let many = plan
        .contexts
        .iter()
        .position(|c| c.name == "many")
        .expect("many");
    let mut first = plan.contexts[many].extensions[0].clone();
    first.name = "4242".into();
    plan.contexts[many].extensions.insert(0, first);
    let few = plan
        .contexts
        .iter()
        .position(|c| c.name == "few")
        .expect("few");
    let include = plan.contexts[0].includes[0].clone();
    plan.contexts[few].includes.push(include);
    let numbers: Vec<String> = ["4242", "100", "123", "200", "s"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let roots = all_roots(&plan);
    compare(&plan, &roots, &numbers, &[None]);
    let found = find(&plan, "many", "4242", Want::Priority(3), None).map(|f| f.exten_name);
    assert_eq!(found.ok(), Some("4242"));
}

#[test]
fn shipped_small_dialplans_agree() {
    for dir in ["syntax", "dialplan", "office", "office-pjsip", "funcs"] {
        let path = repo().join("compat-configs").join(dir);
        if !path.join("extensions.conf").exists() {
            continue;
        }
        let plan = dialplan_in(&path);
        let roots = all_roots(&plan);
        let numbers = numbers(&plan, 1, 300, 2);
        compare(
            &plan,
            &roots,
            &numbers,
            &[None, Some(""), Some("1000"), Some("200")],
        );
    }
}

/// A dialplan for the index's corners: many patterns (first-character
/// buckets) and few (a scan), the same literal in many contexts, `-` in
/// names, caller-id matches, labels, include loops (also through names
/// differing in case), missing and time-restricted includes, empty sets,
/// unterminated sets, `!` and `.`.
const CORNERS: &str = "
[root]
include => Loop-A
include => many
include => few
include => missing
include => never,00:00-00:00,*,*,*
include => always,*,*,*,*
exten => 100,1,NoOp(root 100)
exten => 555-1212,1,NoOp(dashed)
exten => 555/1000,1,NoOp(caller 1000)
exten => 555/_2XX,2,NoOp(caller 2xx, priority 2 only)
exten => 555,1,NoOp(anyone)
exten => _5XX/200,1,NoOp(pattern for caller 200)
exten => lab,1,NoOp()
 same => n(here),NoOp()
 same => n(there),NoOp()

[loop-a]
exten => 100,2,NoOp(lower-case twin)

[Loop-A]
include => Loop-B
include => loop-a
exten => 200,1,NoOp(loop a)

[Loop-B]
include => Loop-A
include => root
exten => 300,1,NoOp(loop b)
exten => _3XX,2,NoOp(loop b pattern)

[many]
exten => _1XX,1,NoOp()
exten => _1XX,2,NoOp()
exten => _2XX!,1,NoOp()
exten => _2[]X,1,NoOp()
exten => _3[0-4]X.,1,NoOp()
exten => _4[,1,NoOp()
exten => _5-5-5XXXX,1,NoOp()
exten => _6[a-c-]X,1,NoOp()
exten => _7XX/300,1,NoOp()
exten => _8!,1,NoOp()
exten => _!,2,NoOp()
exten => _[*#]X,1,NoOp()
exten => _NXXNXXXXXX,1,NoOp()
exten => _X.,3,NoOp()
exten => _.,1,NoOp()
exten => _[]!,1,NoOp()
exten => _X[],1,NoOp()
exten => 100,3,NoOp(literal in many)
exten => s,1,NoOp()

[few]
exten => _1X,1,NoOp()
exten => _[]!,2,NoOp()
exten => _ZZ,1,NoOp()
exten => 100,4,NoOp(literal in few)
exten => -,1,NoOp(only fluff)

[never]
exten => 999,1,NoOp(never included)

[always]
exten => 999,1,NoOp(always included)
exten => 100,5,NoOp()
";

#[test]
fn corner_dialplan_agrees() {
    let cfg = load_str(
        "extensions.conf",
        CORNERS,
        &LoadOptions::new("/nonexistent"),
    )
    .expect("corner dialplan loads");
    let plan = Dialplan::from_config(&cfg);
    let roots = all_roots(&plan);
    let mut numbers = numbers(&plan, 1, 2000, 3);
    numbers.extend(
        [
            "100",
            "1-0-0",
            "5551212",
            "555-1212",
            "555",
            "5-5-5",
            "2",
            "20",
            "21",
            "200",
            "2000",
            "30",
            "300",
            "3000",
            "4",
            "4[",
            "5551234",
            "6a1",
            "6-1",
            "6b5",
            "701",
            "8",
            "",
            "-",
            "*1",
            "#9",
            "2125551212",
            "lab",
            "999",
            "_1XX",
            "_X.",
            "_.",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    let n = compare(
        &plan,
        &roots,
        &numbers,
        &[None, Some(""), Some("1000"), Some("200"), Some("300")],
    );
    assert!(n > 10_000, "{n}");
}

/// More contexts than the searched-set keeps on the stack (256): a chain
/// of includes 300 long, with loops back into it (one through a name that
/// differs only in case), and extensions along the way.
#[test]
fn long_include_chain_agrees() {
    let mut text = String::new();
    for i in 0..300 {
        text.push_str(&format!("[c{i}]\n"));
        if i + 1 < 300 {
            text.push_str(&format!("include => c{}\n", i + 1));
        }
        if i % 50 == 49 {
            text.push_str("include => c10\ninclude => C20\n");
        }
        text.push_str(&format!("exten => {},1,NoOp()\n", 1000 + i));
        text.push_str(&format!("exten => _{}X,2,NoOp()\n", i % 10));
    }
    text.push_str("[C20]\ninclude => c290\nexten => 7,1,NoOp()\n");
    let cfg = load_str("extensions.conf", &text, &LoadOptions::new("/nonexistent"))
        .expect("chain dialplan loads");
    let plan = Dialplan::from_config(&cfg);
    let numbers: Vec<String> = [
        "1000", "1100", "1255", "1256", "1299", "1300", "7", "55", "5", "",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let n = compare(&plan, &["c0", "c100", "c299", "C20"], &numbers, &[None]);
    assert!(n > 100, "{n}");
}
