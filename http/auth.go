package httpapi

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// ownerKey is where authenticate leaves the caller's owner id for handlers.
const ownerKey = "docparse_owner"

// keyRing holds the SHA-256 of each configured API key. Only hashes are kept
// in memory and stored with jobs, so neither Redis nor a log line ever holds
// a key.
type keyRing [][sha256.Size]byte

func newKeyRing(keys []string) keyRing {
	var r keyRing
	for _, k := range keys {
		if k = strings.TrimSpace(k); k != "" {
			r = append(r, sha256.Sum256([]byte(k)))
		}
	}
	return r
}

// match compares the presented key's hash with every configured one in
// constant time, without stopping at the first match, so timing tells nothing
// about which key or how much of it matched.
func (r keyRing) match(presented string) (string, bool) {
	h := sha256.Sum256([]byte(presented))
	found := 0
	for i := range r {
		found |= subtle.ConstantTimeCompare(h[:], r[i][:])
	}
	if found != 1 {
		return "", false
	}
	return hex.EncodeToString(h[:8]), true
}

// presentedKey reads X-API-Key, or Authorization: Bearer.
func presentedKey(c *fiber.Ctx) string {
	if k := c.Get("X-API-Key"); k != "" {
		return k
	}
	auth := c.Get(fiber.HeaderAuthorization)
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// authenticate lets a request through when no keys are configured or when it
// carries one of them, and records the key's owner id for the handlers.
func (a *App) authenticate(c *fiber.Ctx) error {
	if len(a.keys) == 0 || c.Method() == fiber.MethodOptions {
		return c.Next()
	}
	owner, ok := a.keys.match(presentedKey(c))
	if !ok {
		c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="docparse"`)
		return newError(fiber.StatusUnauthorized, "unauthorized", "send a valid API key in X-API-Key or Authorization: Bearer")
	}
	c.Locals(ownerKey, owner)
	return c.Next()
}

// owner is the caller's owner id: a short hash of its API key, or "" when the
// API runs without keys. Jobs carry it, and a key sees only its own jobs.
func owner(c *fiber.Ctx) string {
	o, _ := c.Locals(ownerKey).(string)
	return o
}
