//! Spreading per-item cryptography over the machine's cores.
//!
//! A re-key opens and re-seals every version of every item of an
//! environment: independent work that needs keys, never the database. The
//! caller reads everything it needs on its own thread (one SQLite
//! connection, never shared), hands owned rows to [`map`], and writes what
//! comes back on its own thread again. Each worker owns its slice of the
//! rows; secrets stay in their zeroizing types and are dropped (zeroed)
//! where they are dropped on one thread. The result keeps the input's
//! order, so a split run builds the same op as a sequential one
//! (`offboarding_on_two_threads_equals_one` in tests/team.rs checks it).

/// The number of threads a [`crate::Vault`] uses for a re-key's
/// cryptography by default: the machine's cores, at most 8.
pub(crate) fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8)
}

/// `items` mapped through `f` in order, on up to `threads` threads (this
/// one included), each given at least `min_chunk` items: below that the
/// cost of a thread is more than the work it takes over.
pub(crate) fn map<T, R, F>(threads: usize, min_chunk: usize, items: Vec<T>, f: F) -> Vec<R>
where
    T: Send,
    R: Send,
    F: Fn(T) -> R + Sync,
{
    let n = items.len();
    let threads = threads.min(n / min_chunk.max(1)).max(1);
    if threads == 1 {
        return items.into_iter().map(f).collect();
    }
    let per = n.div_ceil(threads);
    let mut chunks: Vec<Vec<T>> = Vec::with_capacity(threads);
    let mut rest = items.into_iter();
    loop {
        let chunk: Vec<T> = rest.by_ref().take(per).collect();
        if chunk.is_empty() {
            break;
        }
        chunks.push(chunk);
    }
    let f = &f;
    std::thread::scope(|s| {
        let mut chunks = chunks.into_iter();
        let first = chunks.next().unwrap_or_default();
        let handles: Vec<_> = chunks
            .map(|c| s.spawn(move || c.into_iter().map(f).collect::<Vec<R>>()))
            .collect();
        let mut out: Vec<R> = first.into_iter().map(f).collect();
        out.reserve(n - out.len());
        for h in handles {
            match h.join() {
                Ok(part) => out.extend(part),
                // A worker's panic is the caller's panic, as if it had
                // happened on this thread.
                Err(p) => std::panic::resume_unwind(p),
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_split_result_keeps_the_order_of_the_sequential_one() {
        for n in [0, 1, 5, 31, 32, 33, 100, 1001] {
            let items: Vec<usize> = (0..n).collect();
            let seq: Vec<usize> = items.iter().map(|i| i * 3 + 1).collect();
            for threads in 1..5 {
                for min_chunk in [1, 16] {
                    let par = map(threads, min_chunk, items.clone(), |i| i * 3 + 1);
                    assert_eq!(par, seq, "n {n} threads {threads} min {min_chunk}");
                }
            }
        }
    }

    #[test]
    fn work_is_split_across_threads() {
        let ids = map(2, 1, vec![(); 64], |_| std::thread::current().id());
        assert_ne!(ids.first(), ids.last(), "the second half ran elsewhere");
    }

    /// Attack review 15: a worker's panic (in the first chunk, on the
    /// calling thread, or in the last, on a spawned one) is the caller's,
    /// never a shorter result taken for the whole. A re-key builds its op
    /// before any transaction, so the vault is left as it was.
    #[test]
    fn attack_a_workers_panic_is_the_callers() {
        for bad in [0usize, 15, 29] {
            let r = std::panic::catch_unwind(|| {
                map(3, 1, (0..30).collect(), |i: usize| {
                    assert_ne!(i, bad, "worker fails");
                    i
                })
            });
            assert!(r.is_err(), "item {bad}: the panic was lost");
        }
    }

    /// Attack review 15: what the workers take and give back moves by
    /// pointer: keys are boxed and values live in heap strings, so a
    /// chunk's `Vec` moved, grown or freed leaves no copy of a secret.
    #[test]
    fn attack_secrets_handed_between_threads_move_by_pointer() {
        use std::mem::size_of;
        assert_eq!(size_of::<coffer_crypto::ItemKey>(), size_of::<usize>());
        assert_eq!(size_of::<coffer_crypto::EnvKey>(), size_of::<usize>());
        assert_eq!(
            size_of::<coffer_crypto::SecretString>(),
            size_of::<String>()
        );
    }
}
