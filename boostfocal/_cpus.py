"""The CPUs this process may use."""
import os


def usable_cpus():
    """The CPUs in this process's affinity mask where the OS has one (Linux: a container's or
    ``taskset``'s limit), else ``os.cpu_count()`` (macOS, Windows); at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:
        return os.cpu_count() or 1
