/* SPDX-License-Identifier: MIT */
/*
 * Tiny harness over CUnit: register one suite per test file and return non-zero when any
 * assertion failed (CUnit's basic runner alone exits 0 even on failures).
 */
#ifndef NS_TEST_H
#define NS_TEST_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct ns_test_case {
	const char *name;
	void (*fn)(void);
};

#define NS_TEST(fn) { #fn, fn }

static inline int
ns_test_run(const char *suite_name, const struct ns_test_case *cases, size_t n)
{
	CU_pSuite suite;
	unsigned failures;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 2;
	suite = CU_add_suite(suite_name, NULL, NULL);
	if (suite == NULL)
		goto fail;
	for (size_t i = 0; i < n; i++)
		if (CU_add_test(suite, cases[i].name, cases[i].fn) == NULL)
			goto fail;
	CU_basic_set_mode(CU_BRM_VERBOSE);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	return failures != 0 ? 1 : 0;
fail:
	fprintf(stderr, "CUnit registry error: %s\n", CU_get_error_msg());
	CU_cleanup_registry();
	return 2;
}

#define NS_TEST_MAIN(suite_name, cases) \
	int main(void) \
	{ \
		return ns_test_run(suite_name, cases, sizeof(cases) / sizeof((cases)[0])); \
	}

#endif /* NS_TEST_H */
