//! Replays the fuzz corpus and every saved crash through the same entry
//! points the cargo-fuzz targets use (`imginspect::fuzzing`). CI does not
//! fuzz; this keeps what fuzzing found from coming back.

use std::path::Path;

#[test]
fn every_corpus_entry_and_saved_crash_runs_clean() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0usize;
    for &(name, entry) in imginspect::fuzzing::TARGETS {
        let mut per_target = 0usize;
        for dir in [
            fuzz.join("corpus").join(name),
            fuzz.join("artifacts").join(name),
        ] {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for file in entries.flatten() {
                // A file a running fuzzer has just reduced away is skipped.
                let Ok(data) = std::fs::read(file.path()) else {
                    continue;
                };
                entry(&data);
                per_target += 1;
            }
        }
        assert!(per_target > 0, "no corpus for fuzz target {name}");
        replayed += per_target;
    }
    eprintln!("replayed {replayed} fuzz inputs");
}
