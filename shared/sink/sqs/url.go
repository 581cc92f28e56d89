package sqs

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
)

// Wire protocols the client can speak. AWS accepts both; emulators that predate the JSON
// protocol (goaws) understand only query.
const (
	ProtocolJSON  = "json"  // AWS JSON 1.0, the SDK's default
	ProtocolQuery = "query" // form-encoded request, XML answer
)

// Target is a parsed sqs:// sink URL. Two forms are accepted:
//
//	sqs://sqs.<region>.amazonaws.com/<account>/<queue>
//	sqs://<host:port>/<account>/<queue>?endpoint=http://<host:port>&region=<region>[&protocol=query]
//
// The first names a queue of AWS (queue URL https://sqs.<region>.amazonaws.com/<account>/<queue>;
// the .amazonaws.com.cn hosts of the China regions work the same way). The second names a queue
// of an emulator or a private endpoint: requests and the queue URL use endpoint, and region is
// required because it cannot be read from the host. protocol selects the wire protocol (json,
// the default, or query). A queue whose name ends in .fifo is a FIFO queue. Credentials never
// appear in the URL.
type Target struct {
	// QueueURL is the queue URL sent with every request.
	QueueURL string
	// Region is the AWS region that requests are signed for.
	Region string
	// Endpoint is the base URL requests go to; empty means the SDK's endpoint for Region.
	Endpoint string
	// Protocol is ProtocolJSON or ProtocolQuery.
	Protocol string
	// Account and Queue are the two path segments.
	Account, Queue string
	// FIFO is true when Queue ends in .fifo.
	FIFO bool

	host string
}

var (
	awsHost     = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^sqs\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?$`) })
	regionRe    = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`) })
	accountRe   = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) })
	queueNameRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`) })
)

// ParseURL checks an sqs:// URL and returns its Target. Every problem found is reported in one
// joined error; the error never repeats user information, which the URL must not carry.
func ParseURL(u *url.URL) (Target, error) {
	var t Target
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if u.Scheme != "sqs" {
		bad("scheme is %q, want sqs", u.Scheme)
	}
	if u.User != nil {
		bad("credentials do not belong in the URL: they come from the AWS credential chain")
	}
	if u.Opaque != "" {
		bad("URL must have the form sqs://host/<account>/<queue>")
	}
	if u.Fragment != "" {
		bad("URL must not have a fragment")
	}
	t.host = u.Host
	if u.Host == "" {
		bad("host is empty")
	}

	segs := strings.Split(strings.TrimPrefix(u.Path, "/"), "/")
	if len(segs) != 2 {
		bad("path %q must be /<account>/<queue>", u.Path)
	} else {
		t.Account, t.Queue = segs[0], segs[1]
		if !accountRe().MatchString(t.Account) {
			bad("account %q must be 1-80 letters, digits, '-' or '_'", t.Account)
		}
		t.FIFO = strings.HasSuffix(t.Queue, ".fifo")
		if !queueNameRe().MatchString(strings.TrimSuffix(t.Queue, ".fifo")) || len(t.Queue) > 80 {
			bad("queue name %q must be 1-80 letters, digits, '-' or '_' with an optional .fifo suffix", t.Queue)
		}
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		bad("query: %v", err)
	}
	for k, v := range q {
		switch k {
		case "endpoint", "region", "protocol":
			if len(v) != 1 {
				bad("query parameter %s given %d times", k, len(v))
			}
		default:
			bad("unknown query parameter %q (known: endpoint, region, protocol)", k)
		}
	}
	t.Endpoint, t.Region = q.Get("endpoint"), q.Get("region")
	t.Protocol = q.Get("protocol")
	switch t.Protocol {
	case "":
		t.Protocol = ProtocolJSON
	case ProtocolJSON, ProtocolQuery:
	default:
		bad("protocol %q must be json or query", t.Protocol)
	}

	if t.Endpoint == "" {
		m := awsHost().FindStringSubmatch(u.Host)
		switch {
		case u.Host == "":
		case m == nil:
			bad("host %q is not sqs.<region>.amazonaws.com; for an emulator add ?endpoint=http://host:port&region=<region>", u.Host)
		case t.Region != "" && t.Region != m[1]:
			bad("region %q contradicts host %q", t.Region, u.Host)
		default:
			t.Region = m[1]
		}
		if u.Host != "" {
			t.QueueURL = "https://" + u.Host + "/" + t.Account + "/" + t.Queue
		}
	} else {
		e, err := url.Parse(t.Endpoint)
		switch {
		case err != nil:
			bad("endpoint is not a valid URL")
		case e.Scheme != "http" && e.Scheme != "https":
			bad("endpoint scheme %q must be http or https", e.Scheme)
		case e.Host == "":
			bad("endpoint has no host")
		case e.User != nil || e.RawQuery != "" || e.Fragment != "" || (e.Path != "" && e.Path != "/"):
			bad("endpoint must be scheme://host[:port] only")
		default:
			t.Endpoint = e.Scheme + "://" + e.Host
			t.QueueURL = t.Endpoint + "/" + t.Account + "/" + t.Queue
		}
		if t.Region == "" {
			bad("region is required with endpoint")
		}
	}
	if t.Region != "" && !regionRe().MatchString(t.Region) {
		bad("region %q is not an AWS region name", t.Region)
	}
	if len(errs) > 0 {
		return Target{}, fmt.Errorf("sqs sink URL: %w", errors.Join(errs...))
	}
	return t, nil
}

// String returns the canonical sqs:// form of the target, as used in logs. It carries no secret.
func (t Target) String() string {
	s := "sqs://" + t.host + "/" + t.Account + "/" + t.Queue
	if t.Endpoint == "" {
		return s
	}
	q := url.Values{"endpoint": {t.Endpoint}, "region": {t.Region}}
	if t.Protocol != ProtocolJSON {
		q.Set("protocol", t.Protocol)
	}
	return s + "?" + q.Encode()
}
