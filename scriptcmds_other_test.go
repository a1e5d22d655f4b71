//go:build !unix

package asyncbook_test

const helperEnv = "ASYNCBOOK_TEST_HELPER"

// testHelper has nothing to do where there are no process groups.
func testHelper(mode string) int { return 1 }
