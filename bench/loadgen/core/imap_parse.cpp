// Implementation follows (the headers come first so the other workloads can build against them).
