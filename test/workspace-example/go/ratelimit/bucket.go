// Package ratelimit implements a token bucket.
package ratelimit

import (
	"sync"
	"time"
)

// Bucket allows up to Capacity events at once and refills at Rate tokens per second.
type Bucket struct {
	mu       sync.Mutex
	capacity float64
	rate     float64
	tokens   float64
	last     time.Time
}

// New returns a full bucket.
func New(capacity, rate float64) *Bucket {
	return &Bucket{capacity: capacity, rate: rate, tokens: capacity, last: time.Now()}
}

// Allow reports whether one event may happen now, and takes a token if so.
func (b *Bucket) Allow(now time.Time) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	elapsed := now.Sub(b.last).Seconds()
	b.last = now
	b.tokens = min(b.capacity, b.tokens+elapsed*b.rate)
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}
