package redis

import (
	"errors"
	"fmt"
	"net/url"

	goredis "github.com/redis/go-redis/v9"
)

// parseURL turns a redis:// or rediss:// URL into client options and the key prefix given by
// its prefix query parameter. The other query parameters are go-redis's (dial_timeout,
// pool_size …). Errors never repeat the URL, which may hold a password.
func parseURL(rawURL string) (*goredis.Options, string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, password included
		}
		return nil, "", fmt.Errorf("parse redis URL: %w", err)
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, "", fmt.Errorf("parse redis URL: scheme %q is not redis or rediss", u.Scheme)
	}
	q := u.Query()
	prefix := q.Get("prefix")
	q.Del("prefix")
	u.RawQuery = q.Encode()
	opts, err := goredis.ParseURL(u.String())
	if err != nil {
		return nil, "", fmt.Errorf("parse redis URL for %s: %w", u.Host, err)
	}
	return opts, prefix, nil
}
