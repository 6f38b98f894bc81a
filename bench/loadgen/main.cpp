// loft-loadgen: placeholder main until the CLI lands.
#include "workload.hpp"

int main() { return loadgen::all_workloads().empty() ? 1 : 0; }
