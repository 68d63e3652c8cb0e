package api

import (
	"net/netip"

	"github.com/gin-gonic/gin"
	"golang.org/x/time/rate"

	"github.com/switchboardhq/switchboard/ratelimit"
)

func newLimiter(l Limit) *ratelimit.Keyed {
	if l.Rate <= 0 {
		return nil
	}
	return ratelimit.New(ratelimit.Options{Rate: rate.Limit(l.Rate), Burst: l.Burst})
}

// limitPerIP spends one token of the client IP's bucket on every widget
// request, before authentication, so a flood of bad keys is limited too.
// IPv6 clients are keyed by their /64: one host usually holds a whole one.
func limitPerIP(k *ratelimit.Keyed) gin.HandlerFunc {
	return func(c *gin.Context) {
		if k == nil {
			return
		}
		if ok, wait := k.Allow(ipKey(c.ClientIP())); !ok {
			_ = c.Error(rateLimited(c, wait, "too many requests from this address; slow down"))
			c.Abort()
		}
	}
}

func ipKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	if a.Is4() || a.Is4In6() {
		return a.Unmap().String()
	}
	p, _ := a.Prefix(64)
	return p.String()
}
