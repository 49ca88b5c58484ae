/* The library missing_dep.so needs; the test's loader never finds it. */
int missing_dep_helper(void) { return 1; }
