// Command webhook-load is the webhook benchmark's load generator: closed-loop
// workers, each on its own HTTP/1.1 keep-alive TLS 1.3 connection, POST one
// AdmissionReview body as fast as the server answers, like the apiserver's
// webhook client. Written in Go so that the generator, not the server, is
// never the bottleneck; it runs pinned to the other core.
//
// It prints one JSON line: requests, failures, req/s, p50 and p99 in ms.
package main

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

type result struct {
	Requests int     `json:"requests"`
	Failures int     `json:"failures"`
	FirstErr string  `json:"firstError,omitempty"`
	Seconds  float64 `json:"seconds"`
	RPS      float64 `json:"rps"`
	P50Ms    float64 `json:"p50Ms"`
	P99Ms    float64 `json:"p99Ms"`
}

func main() {
	url := flag.String("url", "", "https URL to POST to")
	caFile := flag.String("ca", "", "PEM file of the CA that signed the server's certificate")
	bodyFile := flag.String("body", "", "file with the request body (an AdmissionReview)")
	concurrency := flag.Int("c", 1, "concurrent connections, one request in flight on each")
	duration := flag.Duration("d", 5*time.Second, "how long to measure")
	warmup := flag.Duration("warmup", time.Second, "load before measuring (not counted)")
	flag.Parse()
	if *url == "" || *caFile == "" || *bodyFile == "" || *concurrency < 1 {
		fmt.Fprintln(os.Stderr, "usage: webhook-load -url URL -ca FILE -body FILE [-c N] [-d DUR] [-warmup DUR]")
		os.Exit(2)
	}
	caPem, err := os.ReadFile(*caFile)
	check(err)
	body, err := os.ReadFile(*bodyFile)
	check(err)
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPem) {
		check(fmt.Errorf("no certificate in %s", *caFile))
	}
	transport := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS13},
		MaxIdleConnsPerHost: *concurrency,
		MaxConnsPerHost:     *concurrency,
		ForceAttemptHTTP2:   false,
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		DisableCompression:  true,
	}
	client := &http.Client{Transport: transport, Timeout: 10 * time.Second}

	var measuring atomic.Bool
	var stop atomic.Bool
	var failures atomic.Int64
	var firstErr atomic.Value
	latencies := make([][]time.Duration, *concurrency)
	var wg sync.WaitGroup
	for w := 0; w < *concurrency; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			own := make([]time.Duration, 0, 1<<16)
			for !stop.Load() {
				t0 := time.Now()
				req, _ := http.NewRequest("POST", *url, bytes.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set("Accept", "application/json")
				res, err := client.Do(req)
				if err == nil {
					_, err = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if err == nil && res.StatusCode != 200 {
						err = fmt.Errorf("HTTP %d", res.StatusCode)
					}
				}
				elapsed := time.Since(t0)
				if !measuring.Load() {
					continue
				}
				if err != nil {
					failures.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				own = append(own, elapsed)
			}
			latencies[w] = own
		}(w)
	}
	time.Sleep(*warmup)
	measuring.Store(true)
	start := time.Now()
	time.Sleep(*duration)
	measuring.Store(false)
	seconds := time.Since(start).Seconds()
	stop.Store(true)
	wg.Wait()

	var all []time.Duration
	for _, l := range latencies {
		all = append(all, l...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	q := func(p float64) float64 {
		if len(all) == 0 {
			return 0
		}
		i := int(p * float64(len(all)))
		if i >= len(all) {
			i = len(all) - 1
		}
		return float64(all[i].Microseconds()) / 1000
	}
	r := result{
		Requests: len(all),
		Failures: int(failures.Load()),
		Seconds:  seconds,
		RPS:      float64(len(all)) / seconds,
		P50Ms:    q(0.5),
		P99Ms:    q(0.99),
	}
	if e, ok := firstErr.Load().(string); ok {
		r.FirstErr = e
	}
	check(json.NewEncoder(os.Stdout).Encode(r))
}

func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "webhook-load:", err)
		os.Exit(1)
	}
}
