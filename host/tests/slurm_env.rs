//! `--shard` defaults from the SLURM job-array variables (harness::shard module doc). Alone in its
//! test binary because it changes the process environment.

use flatmin_host::harness::shard::Shard;

fn set(id: Option<&str>, count: Option<&str>, min: Option<&str>) {
    for (name, v) in [
        ("SLURM_ARRAY_TASK_ID", id),
        ("SLURM_ARRAY_TASK_COUNT", count),
        ("SLURM_ARRAY_TASK_MIN", min),
    ] {
        match v {
            Some(v) => std::env::set_var(name, v),
            None => std::env::remove_var(name),
        }
    }
}

#[test]
fn shard_from_slurm_array_variables() {
    set(None, None, None);
    assert_eq!(Shard::from_slurm_env().unwrap(), None);
    assert_eq!(Shard::resolve(None).unwrap(), None);
    // sbatch --array=0-3: tasks 0..3 of 4.
    set(Some("3"), Some("4"), Some("0"));
    assert_eq!(
        Shard::from_slurm_env().unwrap(),
        Some(Shard { index: 3, count: 4 })
    );
    // An explicit --shard wins over the variables.
    let explicit = Shard::new(0, 1).unwrap();
    assert_eq!(Shard::resolve(Some(explicit)).unwrap(), Some(explicit));
    // sbatch --array=1-4: task 4 is the last of 4 shards.
    set(Some("4"), Some("4"), Some("1"));
    assert_eq!(
        Shard::resolve(None).unwrap(),
        Some(Shard { index: 3, count: 4 })
    );
    // Without the minimum, an index past the count is bad input that points at --shard.
    set(Some("4"), Some("4"), None);
    let e = Shard::from_slurm_env().unwrap_err();
    assert!(e.is_input() && e.to_string().contains("--shard"), "{e}");
    set(Some("x"), Some("4"), None);
    assert!(Shard::from_slurm_env().unwrap_err().is_input());
    set(None, None, None);
}
