// Package testenv lets tests use the real services of the machine (Redis, RabbitMQ …): a test
// skips with a clear message when a service is unreachable, except when
// ESSFLOW_REQUIRE_SERVICES=1 (set by .ci/run), where it fails instead.
package testenv

import (
	"net"
	"os"
	"testing"
	"time"
)

// RequireServicesEnv is the variable that turns a missing service from a skip into a failure.
const RequireServicesEnv = "ESSFLOW_REQUIRE_SERVICES"

// ServicesRequired reports whether ESSFLOW_REQUIRE_SERVICES=1.
func ServicesRequired() bool { return os.Getenv(RequireServicesEnv) == "1" }

// NeedTCP makes sure something listens on addr (host:port). When nothing does, the test is
// skipped with a message naming the service, or fails when services are required.
func NeedTCP(tb testing.TB, name, addr string) {
	tb.Helper()
	conn, err := net.DialTimeout("tcp", addr, 2*time.Second)
	if err == nil {
		conn.Close()
		return
	}
	if ServicesRequired() {
		tb.Fatalf("%s is required (%s=1) but unreachable at %s: %v", name, RequireServicesEnv, addr, err)
	}
	tb.Skipf("skipping: %s unreachable at %s (%v); start it or set %s=1 to make this a failure", name, addr, err, RequireServicesEnv)
}

// Getenv returns the variable's value, or def when it is unset or empty.
func Getenv(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

// RedisAddr is the Redis address tests use (ESSFLOW_TEST_REDIS_ADDR, default 127.0.0.1:6379).
func RedisAddr() string { return Getenv("ESSFLOW_TEST_REDIS_ADDR", "127.0.0.1:6379") }

// AMQPURL is the RabbitMQ URL tests use (ESSFLOW_TEST_AMQP_URL, default guest on 127.0.0.1:5672).
func AMQPURL() string { return Getenv("ESSFLOW_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/") }

// AMQPAddr is the host:port of AMQPURL's default.
func AMQPAddr() string { return Getenv("ESSFLOW_TEST_AMQP_ADDR", "127.0.0.1:5672") }
