package webhook

import (
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrBlockedAddress is returned (wrapped) when a callback target resolves to an address that
// essflow refuses to call: loopback, private (RFC 1918, fc00::/7), link-local (169.254.0.0/16
// including cloud metadata endpoints, fe80::/10), CGNAT 100.64.0.0/10, unspecified, multicast
// or broadcast. It is a permanent failure.
var ErrBlockedAddress = errors.New("webhook target address is not public")

// ErrNotAllowed is returned (wrapped) by CheckAllowed for a per-request callback URL whose host
// is not in the allow list.
var ErrNotAllowed = errors.New("callback host is not allowed")

var (
	cgnat = netip.MustParsePrefix("100.64.0.0/10")
	// nat64 embeds an IPv4 address in its last 32 bits; the embedded address is checked too.
	nat64 = netip.MustParsePrefix("64:ff9b::/96")
	// thisNetwork is 0.0.0.0/8, which some stacks route to the local host.
	thisNetwork = netip.MustParsePrefix("0.0.0.0/8")
)

// PublicAddr reports whether ip may be called when private targets are not allowed.
func PublicAddr(ip netip.Addr) bool {
	ip = ip.Unmap()
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	switch {
	case !ip.IsValid(),
		ip.IsLoopback(),
		ip.IsPrivate(),
		ip.IsLinkLocalUnicast(),
		ip.IsLinkLocalMulticast(),
		ip.IsInterfaceLocalMulticast(),
		ip.IsMulticast(),
		ip.IsUnspecified(),
		cgnat.Contains(ip),
		thisNetwork.Contains(ip),
		ip == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return false
	}
	return true
}

// dialControl is a net.Dialer Control function that refuses non-public addresses. It runs
// after name resolution, on the exact address being connected to, so DNS rebinding cannot
// slip a private address past it.
func dialControl(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: cannot parse dial address", ErrBlockedAddress)
	}
	if !PublicAddr(ap.Addr()) {
		return fmt.Errorf("%w: %s", ErrBlockedAddress, ap.Addr())
	}
	return nil
}

// ParseAllowlist splits ESSFLOW_WEBHOOK_ALLOWED_HOSTS (a comma-separated list of host names,
// each exact or "*.example.com") into lower-case entries, dropping empty ones.
func ParseAllowlist(s string) []string {
	var out []string
	for _, h := range strings.Split(s, ",") {
		if h = strings.ToLower(strings.TrimSpace(h)); h != "" {
			out = append(out, h)
		}
	}
	return out
}

// CheckAllowed decides whether a per-request callback URL may be used. The URL must be
// absolute http or https with a host and no fragment, and its host (without port,
// case-insensitive, trailing dot ignored) must equal an allow-list entry or, for an entry
// "*.example.com", be a subdomain of example.com at any depth (example.com itself does not
// match). An empty allow list allows nothing. The address check (ErrBlockedAddress) still
// applies at dial time.
func CheckAllowed(u *url.URL, allowlist []string) error {
	if u == nil {
		return fmt.Errorf("%w: no URL", ErrNotAllowed)
	}
	if u.Scheme != "https" && u.Scheme != "http" {
		return fmt.Errorf("%w: scheme %q is not http or https", ErrNotAllowed, u.Scheme)
	}
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	if host == "" {
		return fmt.Errorf("%w: URL has no host", ErrNotAllowed)
	}
	for _, entry := range allowlist {
		entry = strings.TrimSuffix(strings.ToLower(entry), ".")
		if suffix, ok := strings.CutPrefix(entry, "*."); ok {
			if suffix != "" && strings.HasSuffix(host, "."+suffix) {
				return nil
			}
			continue
		}
		if host == entry {
			return nil
		}
	}
	return fmt.Errorf("%w: %s", ErrNotAllowed, host)
}
