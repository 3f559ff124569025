package restore

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/medusa-go/medusa/internal/cassandra"
	"github.com/medusa-go/medusa/internal/layout"
)

// fakeSchema records the schema creations it is asked for.
type fakeSchema struct {
	calls []cassandra.SchemaSelection
	got   []string // the scripts
}

func (s *fakeSchema) RecreateSchema(_ context.Context, script string, _ []layout.DroppedColumn,
	sel cassandra.SchemaSelection) (cassandra.SchemaResult, error) {
	s.calls = append(s.calls, sel)
	s.got = append(s.got, script)
	return cassandra.SchemaResult{}, nil
}

// TestLoaderSchemaModes: the schema is created once before any load
// (SchemaCreate), never (SchemaSkip), or alone (SchemaOnly); --truncate
// and the selection reach it; without --use-sstableloader the schema
// flags are refused.
func TestLoaderSchemaModes(t *testing.T) {
	for _, tc := range []struct {
		mode         SchemaMode
		truncate     bool
		schemaCalls  int
		loads        bool
		wantTruncate bool
	}{
		{SchemaCreate, false, 1, true, false},
		{SchemaCreate, true, 1, true, true},
		{SchemaSkip, false, 0, true, false},
		{SchemaOnly, true, 1, false, true},
	} {
		f := newScenario(t)
		loader, schema := &fakeLoader{}, &fakeSchema{}
		d := f.deps()
		d.Loader, d.Schema = loader, schema
		o := f.options()
		o.UseSSTableLoader, o.InPlace, o.Schema, o.Truncate = true, false, tc.mode, tc.truncate
		o.Keyspaces = []string{"ks"}
		if _, err := runText(t.Context(), d, o, &bytes.Buffer{}); err != nil {
			t.Fatalf("mode %d: %v", tc.mode, err)
		}
		if len(schema.calls) != tc.schemaCalls {
			t.Errorf("mode %d: %d schema creations, want %d", tc.mode, len(schema.calls), tc.schemaCalls)
		}
		for i, c := range schema.calls {
			if c.Truncate != tc.wantTruncate || !slices.Equal(c.Keyspaces, []string{"ks"}) || schema.got[i] == "" {
				t.Errorf("mode %d: schema call %+v (script %d bytes)", tc.mode, c, len(schema.got[i]))
			}
		}
		if (len(loader.dirs) > 0) != tc.loads {
			t.Errorf("mode %d: loaded %v", tc.mode, loader.dirs)
		}
		f.assertClean()
	}
	f := newScenario(t)
	d := f.deps()
	d.Schema = &fakeSchema{}
	o := f.options()
	o.Schema = SchemaSkip
	if _, err := runText(t.Context(), d, o, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--use-sstableloader") {
		t.Errorf("--skip-schema without the loader: %v", err)
	}
	o = f.options()
	o.UseSSTableLoader, o.Schema, o.Truncate = true, SchemaSkip, true
	if _, err := runText(t.Context(), d, o, &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), "--truncate") {
		t.Errorf("--truncate with --skip-schema: %v", err)
	}
}
