package cassandra

import (
	"fmt"
	"strings"
)

// ObjectKind is the kind of object a CREATE statement of a schema script
// makes.
type ObjectKind string

// The object kinds ParseSchema recognises; every other statement is
// KindOther and ignored by RecreateSchema.
const (
	KindKeyspace  ObjectKind = "keyspace"
	KindType      ObjectKind = "type"
	KindFunction  ObjectKind = "function"
	KindAggregate ObjectKind = "aggregate"
	KindTable     ObjectKind = "table"
	KindIndex     ObjectKind = "index"
	KindView      ObjectKind = "materialized view"
	KindOther     ObjectKind = "other"
)

// SchemaObject is one statement of a schema script.
type SchemaObject struct {
	Kind     ObjectKind
	Keyspace string // internal names: unquoted identifiers lowercased
	Name     string // "" for a keyspace
	// Table is the indexed table (index) or the base table (view).
	Table string
	// Stmt is the statement as written, comments removed, without its ";".
	Stmt string
	// Columns are a table's column definitions, in order.
	Columns []ColumnDef
	// TypeRefs are the identifiers of a table's, view's or type's
	// definition that may name user types (lowercased unless quoted).
	TypeRefs []string

	// createEnd is the offset in Stmt just after "CREATE <kind>" (where
	// IF NOT EXISTS goes), -1 when IF NOT EXISTS is already there or the
	// statement cannot take it.
	createEnd int
}

// QualifiedName is "keyspace.name" (or the keyspace).
func (o SchemaObject) QualifiedName() string {
	if o.Name == "" {
		return o.Keyspace
	}
	return o.Keyspace + "." + o.Name
}

// IfNotExists returns Stmt with IF NOT EXISTS after CREATE <kind> when it
// can take it (keyspaces, types, tables, indexes, views, functions and
// aggregates not created with OR REPLACE).
func (o SchemaObject) IfNotExists() string {
	if o.createEnd < 0 {
		return o.Stmt
	}
	return o.Stmt[:o.createEnd] + " IF NOT EXISTS" + o.Stmt[o.createEnd:]
}

// ColumnDef is one column of a CREATE TABLE.
type ColumnDef struct {
	Name   string
	Type   string // as written
	Static bool
}

// ParseSchema splits a schema script (meta/schema.cql as written by medusa
// or by Python Medusa) into statements and recognises the CREATE
// statements of keyspaces, user types, functions, aggregates, tables,
// indexes and materialized views. Statements end with ";" outside quotes,
// $$ bodies and comments; comments are removed (the commented-out
// statements of virtual keyspaces disappear with them).
func ParseSchema(script string) ([]SchemaObject, error) {
	stmts, err := splitStatements(script)
	if err != nil {
		return nil, err
	}
	var out []SchemaObject
	for _, st := range stmts {
		o, err := parseStatement(st)
		if err != nil {
			return nil, fmt.Errorf("schema statement %q: %w", headOf(st), err)
		}
		out = append(out, o)
	}
	return out, nil
}

func headOf(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// splitStatements cuts script at the semicolons that are outside string
// literals, quoted identifiers, $$ blocks and comments, and drops the
// comments. Empty statements are skipped.
func splitStatements(script string) ([]string, error) {
	var out []string
	var cur strings.Builder
	flush := func() {
		if s := strings.TrimSpace(cur.String()); s != "" {
			out = append(out, s)
		}
		cur.Reset()
	}
	n := len(script)
	for i := 0; i < n; {
		c := script[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for ; j < n; j++ {
				if script[j] == c {
					if j+1 < n && script[j+1] == c { // doubled quote
						j++
						continue
					}
					break
				}
			}
			if j >= n {
				return nil, fmt.Errorf("unterminated %c quote starting %q", c, headOf(script[i:]))
			}
			cur.WriteString(script[i : j+1])
			i = j + 1
		case c == '$' && i+1 < n && script[i+1] == '$':
			j := strings.Index(script[i+2:], "$$")
			if j < 0 {
				return nil, fmt.Errorf("unterminated $$ block starting %q", headOf(script[i:]))
			}
			end := i + 2 + j + 2
			cur.WriteString(script[i:end])
			i = end
		case c == '/' && i+1 < n && script[i+1] == '*':
			j := strings.Index(script[i+2:], "*/")
			if j < 0 {
				return nil, fmt.Errorf("unterminated comment starting %q", headOf(script[i:]))
			}
			cur.WriteByte(' ')
			i = i + 2 + j + 2
		case (c == '-' && i+1 < n && script[i+1] == '-') || (c == '/' && i+1 < n && script[i+1] == '/'):
			j := strings.IndexByte(script[i:], '\n')
			if j < 0 {
				i = n
			} else {
				i += j
			}
		case c == ';':
			flush()
			i++
		default:
			cur.WriteByte(c)
			i++
		}
	}
	flush()
	return out, nil
}

// token is one lexical token of a statement: an identifier or keyword
// (quoted identifiers keep their case and their quotes in raw), a literal
// or one punctuation character.
type token struct {
	raw    string
	val    string // identifier: internal name; other: raw
	ident  bool
	quoted bool
	start  int
	end    int
}

// is reports whether t is the unquoted keyword kw.
func (t token) is(kw string) bool { return t.ident && !t.quoted && strings.EqualFold(t.raw, kw) }

func tokenize(s string) []token {
	var out []token
	n := len(s)
	for i := 0; i < n; {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '"':
			j := i + 1
			for ; j < n; j++ {
				if s[j] == '"' {
					if j+1 < n && s[j+1] == '"' {
						j++
						continue
					}
					break
				}
			}
			end := min(j+1, n)
			raw := s[i:end]
			val := strings.ReplaceAll(strings.TrimSuffix(strings.TrimPrefix(raw, `"`), `"`), `""`, `"`)
			out = append(out, token{raw: raw, val: val, ident: true, quoted: true, start: i, end: end})
			i = end
		case c == '\'':
			j := i + 1
			for ; j < n; j++ {
				if s[j] == '\'' {
					if j+1 < n && s[j+1] == '\'' {
						j++
						continue
					}
					break
				}
			}
			end := min(j+1, n)
			out = append(out, token{raw: s[i:end], val: s[i:end], start: i, end: end})
			i = end
		case c == '$' && i+1 < n && s[i+1] == '$':
			end := n
			if j := strings.Index(s[i+2:], "$$"); j >= 0 {
				end = i + 2 + j + 2
			}
			out = append(out, token{raw: s[i:end], val: s[i:end], start: i, end: end})
			i = end
		case isIdentStart(c):
			j := i + 1
			for j < n && isIdentPart(s[j]) {
				j++
			}
			out = append(out, token{raw: s[i:j], val: strings.ToLower(s[i:j]), ident: true, start: i, end: j})
			i = j
		default:
			out = append(out, token{raw: s[i : i+1], val: s[i : i+1], start: i, end: i + 1})
			i++
		}
	}
	return out
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
}

func isIdentPart(c byte) bool { return isIdentStart(c) }

// parseStatement recognises one statement.
func parseStatement(stmt string) (SchemaObject, error) {
	o := SchemaObject{Kind: KindOther, Stmt: stmt, createEnd: -1}
	toks := tokenize(stmt)
	p := &tokParser{toks: toks}
	if !p.accept("CREATE") {
		return o, nil
	}
	orReplace := false
	if p.accept("OR") {
		if !p.accept("REPLACE") {
			return o, fmt.Errorf("expected OR REPLACE")
		}
		orReplace = true
	}
	var kind ObjectKind
	switch {
	case p.accept("KEYSPACE"), p.accept("SCHEMA"):
		kind = KindKeyspace
	case p.accept("TYPE"):
		kind = KindType
	case p.accept("FUNCTION"):
		kind = KindFunction
	case p.accept("AGGREGATE"):
		kind = KindAggregate
	case p.accept("TABLE"), p.accept("COLUMNFAMILY"):
		kind = KindTable
	case p.accept("CUSTOM"):
		if !p.accept("INDEX") {
			return o, nil
		}
		kind = KindIndex
	case p.accept("INDEX"):
		kind = KindIndex
	case p.accept("MATERIALIZED"):
		if !p.accept("VIEW") {
			return o, fmt.Errorf("expected MATERIALIZED VIEW")
		}
		kind = KindView
	default:
		return o, nil // CREATE ROLE, TRIGGER, ...: not schema we restore
	}
	createEnd := p.prevEnd()
	hasINE := false
	if p.accept("IF") {
		if !p.accept("NOT") || !p.accept("EXISTS") {
			return o, fmt.Errorf("expected IF NOT EXISTS")
		}
		hasINE = true
	}
	if !hasINE && !orReplace {
		o.createEnd = createEnd
	}
	o.Kind = kind
	switch kind {
	case KindKeyspace:
		ks, ok := p.ident()
		if !ok {
			return o, fmt.Errorf("no keyspace name")
		}
		o.Keyspace = ks
		return o, nil
	case KindIndex:
		// CREATE INDEX [name] ON [ks.]table (...)
		if !p.peek("ON") {
			name, ok := p.ident()
			if !ok {
				return o, fmt.Errorf("no index name")
			}
			o.Name = name
		}
		if !p.accept("ON") {
			return o, fmt.Errorf("expected ON")
		}
		ks, t, err := p.qualified()
		if err != nil {
			return o, err
		}
		if ks == "" {
			return o, fmt.Errorf("the indexed table %s has no keyspace", t)
		}
		o.Keyspace, o.Table = ks, t
		return o, nil
	}
	ks, name, err := p.qualified()
	if err != nil {
		return o, err
	}
	if ks == "" {
		return o, fmt.Errorf("%s %s has no keyspace", kind, name)
	}
	o.Keyspace, o.Name = ks, name
	switch kind {
	case KindTable:
		cols, refs, err := tableColumns(stmt, p)
		if err != nil {
			return o, err
		}
		o.Columns, o.TypeRefs = cols, refs
	case KindType:
		o.TypeRefs = identVals(p.rest())
	case KindView:
		rest := p.rest()
		for i, t := range rest {
			if t.is("FROM") {
				q := &tokParser{toks: rest[i+1:]}
				bks, base, err := q.qualified()
				if err != nil {
					return o, err
				}
				if bks != "" && bks != ks {
					return o, fmt.Errorf("view %s.%s: its base table is in another keyspace (%s)", ks, name, bks)
				}
				o.Table = base
				break
			}
		}
		if o.Table == "" {
			return o, fmt.Errorf("view %s.%s: no FROM <base table>", ks, name)
		}
	}
	return o, nil
}

// tableColumns parses the column list of a CREATE TABLE whose name was
// just read by p.
func tableColumns(stmt string, p *tokParser) ([]ColumnDef, []string, error) {
	if !p.accept("(") {
		return nil, nil, fmt.Errorf("expected ( after the table name")
	}
	var cols []ColumnDef
	var refs []string
	depth := 0
	var part []token
	end := func() error {
		if len(part) == 0 {
			return nil
		}
		defer func() { part = nil }()
		if part[0].is("PRIMARY") {
			return nil
		}
		if !part[0].ident {
			return fmt.Errorf("bad column definition %q", headOf(joinRaw(stmt, part)))
		}
		c := ColumnDef{Name: part[0].val}
		typ := part[1:]
		for len(typ) > 0 {
			last := typ[len(typ)-1]
			switch {
			case last.is("STATIC"):
				c.Static = true
				typ = typ[:len(typ)-1]
			case last.is("KEY") && len(typ) >= 2 && typ[len(typ)-2].is("PRIMARY"):
				typ = typ[:len(typ)-2]
			default:
				goto done
			}
		}
	done:
		if len(typ) == 0 {
			return fmt.Errorf("column %s has no type", c.Name)
		}
		c.Type = joinRaw(stmt, typ)
		refs = append(refs, identVals(typ)...)
		cols = append(cols, c)
		return nil
	}
	for {
		t, ok := p.next()
		if !ok {
			return nil, nil, fmt.Errorf("unterminated column list")
		}
		switch t.raw {
		case "(", "<":
			depth++
		case ">":
			depth--
		case ")":
			if depth == 0 {
				if err := end(); err != nil {
					return nil, nil, err
				}
				return cols, refs, nil
			}
			depth--
		case ",":
			if depth == 0 {
				if err := end(); err != nil {
					return nil, nil, err
				}
				continue
			}
		}
		part = append(part, t)
	}
}

func joinRaw(stmt string, toks []token) string {
	if len(toks) == 0 {
		return ""
	}
	return strings.TrimSpace(stmt[toks[0].start:toks[len(toks)-1].end])
}

func identVals(toks []token) []string {
	var out []string
	for _, t := range toks {
		if t.ident {
			out = append(out, t.val)
		}
	}
	return out
}

type tokParser struct {
	toks []token
	i    int
}

func (p *tokParser) peek(kw string) bool { return p.i < len(p.toks) && p.toks[p.i].is(kw) }

func (p *tokParser) accept(kw string) bool {
	if kw == "(" {
		if p.i < len(p.toks) && p.toks[p.i].raw == "(" {
			p.i++
			return true
		}
		return false
	}
	if p.peek(kw) {
		p.i++
		return true
	}
	return false
}

func (p *tokParser) prevEnd() int { return p.toks[p.i-1].end }

func (p *tokParser) next() (token, bool) {
	if p.i >= len(p.toks) {
		return token{}, false
	}
	p.i++
	return p.toks[p.i-1], true
}

func (p *tokParser) rest() []token { return p.toks[p.i:] }

func (p *tokParser) ident() (string, bool) {
	if p.i < len(p.toks) && p.toks[p.i].ident {
		p.i++
		return p.toks[p.i-1].val, true
	}
	return "", false
}

// qualified reads [ks.]name.
func (p *tokParser) qualified() (ks, name string, err error) {
	a, ok := p.ident()
	if !ok {
		return "", "", fmt.Errorf("expected a name")
	}
	if p.i < len(p.toks) && p.toks[p.i].raw == "." {
		p.i++
		b, ok := p.ident()
		if !ok {
			return "", "", fmt.Errorf("expected a name after %s.", a)
		}
		return a, b, nil
	}
	return "", a, nil
}

// quoteIdent renders an internal name as a quoted CQL identifier.
func quoteIdent(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }
