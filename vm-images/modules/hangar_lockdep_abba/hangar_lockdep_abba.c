// SPDX-License-Identifier: GPL-2.0
/*
 * hangar_lockdep_abba: a genuine lockdep circular-locking report, with no real deadlock.
 *
 * On load, hangar_path_ab() takes hangar_lock_a then hangar_lock_b and releases both;
 * then hangar_path_ba() takes hangar_lock_b then hangar_lock_a. Lockdep has recorded
 * A -> B from the first path, sees B -> A in the second and prints
 * "WARNING: possible circular locking dependency detected" with the two lock classes
 * hangar_lock_a and hangar_lock_b. The paths run one after the other in one task, so
 * nothing ever blocks. Needs CONFIG_PROVE_LOCKING (without it, loading does nothing visible).
 */
#include <linux/init.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/printk.h>

static DEFINE_MUTEX(hangar_lock_a);
static DEFINE_MUTEX(hangar_lock_b);

static noinline void hangar_path_ab(void)
{
	mutex_lock(&hangar_lock_a);
	mutex_lock(&hangar_lock_b);
	mutex_unlock(&hangar_lock_b);
	mutex_unlock(&hangar_lock_a);
}

static noinline void hangar_path_ba(void)
{
	mutex_lock(&hangar_lock_b);
	mutex_lock(&hangar_lock_a);
	mutex_unlock(&hangar_lock_a);
	mutex_unlock(&hangar_lock_b);
}

static int __init hangar_lockdep_abba_init(void)
{
	pr_info("hangar_lockdep_abba: path one: hangar_lock_a then hangar_lock_b\n");
	hangar_path_ab();
	pr_info("hangar_lockdep_abba: path two: hangar_lock_b then hangar_lock_a\n");
	hangar_path_ba();
	pr_info("hangar_lockdep_abba: done\n");
	return 0;
}

static void __exit hangar_lockdep_abba_exit(void)
{
}

module_init(hangar_lockdep_abba_init);
module_exit(hangar_lockdep_abba_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("hangar self-test: take two mutexes in opposite orders so lockdep reports a circular dependency");
