// Package e2e holds essflow's end-to-end tests: the sample events of scripts/local/events run
// through the real function handlers of both platforms, the real processor, the embedded ESS
// sandbox over HTTP, real result sinks and real idempotency stores; and the chaos test that
// redelivers events under injected faults and counts contracts. It has no non-test code.
package e2e
