// THREAD algorithms.
