// Command cryptbench measures what client-side encryption costs the
// storage path of backup (Put of a file) and restore (Get into a file):
// the same object is stored and read back through the local-disk backend
// plain and through internal/crypt, rounds interleaved, and the median
// rates and their ratio printed. Local disk is the harsher comparison: it
// is faster than any object store, so encryption's share of the time is
// larger than it would be over the network.
//
//	go run ./bench/cmd/cryptbench            # 256 MiB, 5 rounds
//	CRYPT_BENCH_MIB=64 CRYPT_BENCH_RUNS=3 go run ./bench/cmd/cryptbench
package main

import (
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/medusa-go/medusa/internal/crypt"
	"github.com/medusa-go/medusa/internal/storage"
	"github.com/medusa-go/medusa/internal/storage/local"
)

func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "cryptbench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	mib, runs := envInt("CRYPT_BENCH_MIB", 256), envInt("CRYPT_BENCH_RUNS", 5)
	dir, err := os.MkdirTemp("", "cryptbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "nb-1-big-Data.db")
	if err := writeRandom(src, int64(mib)<<20); err != nil {
		return err
	}
	b, err := local.New(local.Options{BasePath: dir, Bucket: "bucket", Create: true})
	if err != nil {
		return err
	}
	key := make([]byte, crypt.KeySize)
	if _, err := rand.Read(key); err != nil {
		return err
	}
	ring, err := crypt.NewRing("bench", "k1", map[string][]byte{"k1": key})
	if err != nil {
		return err
	}
	variants := []struct {
		name string
		b    storage.Backend
	}{{"plain", b}, {"encrypted", crypt.New(b, ring, "")}}
	put := map[string][]float64{}
	get := map[string][]float64{}
	for range runs {
		for _, v := range variants {
			k := "node/data/ks/t-1/" + v.name + "-Data.db"
			p, err := timePut(ctx, v.b, k, src)
			if err != nil {
				return err
			}
			g, err := timeGet(ctx, v.b, k, filepath.Join(dir, "restored"))
			if err != nil {
				return err
			}
			put[v.name] = append(put[v.name], float64(mib)*1.048576/p.Seconds())
			get[v.name] = append(get[v.name], float64(mib)*1.048576/g.Seconds())
		}
	}
	fmt.Printf("client-side encryption, %d MiB object, local disk, median of %d runs\n", mib, runs)
	fmt.Printf("| path | plain MB/s | encrypted MB/s | ratio (target >= 0.85x) |\n|---|---|---|---|\n")
	for _, r := range []struct {
		what string
		m    map[string][]float64
	}{{"backup (Put of a file)", put}, {"restore (Get into a file)", get}} {
		p, e := median(r.m["plain"]), median(r.m["encrypted"])
		fmt.Printf("| %s | %.0f | %.0f | %.2fx |\n", r.what, p, e, e/p)
	}
	return nil
}

func writeRandom(path string, size int64) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(f, rand.Reader, size); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func timePut(ctx context.Context, b storage.Backend, key, path string) (time.Duration, error) {
	start := time.Now()
	src, err := storage.OpenFileSource(path)
	if err != nil {
		return 0, err
	}
	defer src.Close()
	if _, err := b.Put(ctx, key, src); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func timeGet(ctx context.Context, b storage.Backend, key, path string) (time.Duration, error) {
	start := time.Now()
	r, _, err := b.Get(ctx, key, 0, -1)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	f, err := os.Create(path)
	if err != nil {
		return 0, err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	return time.Since(start), f.Close()
}

func median(v []float64) float64 {
	s := slices.Sorted(slices.Values(v))
	return s[len(s)/2]
}
