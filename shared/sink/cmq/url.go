package cmq

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"sync"
)

// DefaultEndpoint is the TDMQ API host used when the URL names no endpoint.
const DefaultEndpoint = "tdmq.tencentcloudapi.com"

// Target is a parsed cmq:// sink URL:
//
//	cmq://<queue-name>?region=<region>[&endpoint=https://<host[:port]>]
//
// The queue name (1-64 letters, digits, '-' or '_', starting with a letter) stands in the host
// place. region (for example ap-guangzhou) is required: it is sent as X-TC-Region. endpoint
// overrides the API host DefaultEndpoint, over HTTPS or, for the local sandbox, plain HTTP
// (endpoint=http://127.0.0.1:8090). Credentials never appear in the URL.
type Target struct {
	// Queue is the TDMQ-for-CMQ queue name.
	Queue string
	// Region is the queue's region.
	Region string
	// Host is the API host[:port]; DefaultEndpoint when the URL names none.
	Host string
	// Scheme is "HTTPS" or "HTTP", as the SDK's HttpProfile.Scheme expects.
	Scheme string
}

var (
	queueRe  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,63}$`) })
	regionRe = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`) })
)

// ParseURL checks a cmq:// URL and returns its Target. Every problem found is reported in one
// joined error, which never repeats user information.
func ParseURL(u *url.URL) (Target, error) {
	t := Target{Queue: u.Host, Host: DefaultEndpoint, Scheme: "HTTPS"}
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }

	if u.Scheme != "cmq" {
		bad("scheme is %q, want cmq", u.Scheme)
	}
	if u.User != nil {
		bad("credentials do not belong in the URL: they come from TENCENTCLOUD_SECRETID, TENCENTCLOUD_SECRETKEY and TENCENTCLOUD_SESSIONTOKEN")
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") {
		bad("URL must have the form cmq://<queue-name>?region=<region>")
	}
	if u.Fragment != "" {
		bad("URL must not have a fragment")
	}
	if !queueRe().MatchString(u.Host) {
		bad("queue name %q must be 1-64 letters, digits, '-' or '_', starting with a letter", u.Host)
	}

	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		bad("query is not valid")
	}
	for k, v := range q {
		switch k {
		case "region", "endpoint":
			if len(v) != 1 {
				bad("query parameter %s given %d times", k, len(v))
			}
		default:
			bad("unknown query parameter %q (known: region, endpoint)", k)
		}
	}
	t.Region = q.Get("region")
	switch {
	case t.Region == "":
		bad("region is required (for example region=ap-guangzhou)")
	case !regionRe().MatchString(t.Region):
		bad("region %q is not a Tencent Cloud region name", t.Region)
	}
	if ep := q.Get("endpoint"); ep != "" {
		e, err := url.Parse(ep)
		switch {
		case err != nil:
			bad("endpoint is not a valid URL")
		case e.Scheme != "http" && e.Scheme != "https":
			bad("endpoint scheme %q must be http or https", e.Scheme)
		case e.Host == "":
			bad("endpoint has no host")
		case e.User != nil || e.RawQuery != "" || e.Fragment != "" || (e.Path != "" && e.Path != "/"):
			bad("endpoint must be scheme://host[:port] only")
		case e.Scheme == "http":
			t.Host, t.Scheme = e.Host, "HTTP"
		default:
			t.Host, t.Scheme = e.Host, "HTTPS"
		}
	}
	if len(errs) > 0 {
		return Target{}, fmt.Errorf("cmq sink URL: %w", errors.Join(errs...))
	}
	return t, nil
}

// String returns the canonical cmq:// form of the target, as used in logs. It carries no
// secret; the endpoint appears only when it is not the default.
func (t Target) String() string {
	q := url.Values{"region": {t.Region}}
	if t.Host != DefaultEndpoint || t.Scheme != "HTTPS" {
		scheme := "https"
		if t.Scheme == "HTTP" {
			scheme = "http"
		}
		q.Set("endpoint", scheme+"://"+t.Host)
	}
	return "cmq://" + t.Queue + "?" + q.Encode()
}
