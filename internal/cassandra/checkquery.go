package cassandra

import (
	"context"
	"fmt"
	"math/big"
	"reflect"
	"strconv"
	"time"

	gocql "github.com/apache/cassandra-gocql-driver/v2"
	"gopkg.in/inf.v0"
)

// QueryResult is what Medusa's restore verification looks at: the number
// of rows and the first row, each column rendered as Python's str() would.
type QueryResult struct {
	Rows  int
	First []string
}

// CheckQuery runs the [checks] query and reads every row.
func (s *Session) CheckQuery(ctx context.Context, stmt string) (QueryResult, error) {
	iter := s.Query(stmt).IterContext(ctx)
	var res QueryResult
	for {
		rd, err := iter.RowData()
		if err != nil {
			_ = iter.Close()
			return QueryResult{}, fmt.Errorf("restore verify query: %w", err)
		}
		if !iter.Scan(rd.Values...) {
			break
		}
		if res.Rows == 0 {
			res.First = make([]string, len(rd.Values))
			for i, v := range rd.Values {
				res.First[i] = PyStr(v)
			}
		}
		res.Rows++
	}
	if err := iter.Close(); err != nil {
		return QueryResult{}, fmt.Errorf("restore verify query: %w", err)
	}
	return res, nil
}

// PyStr renders a scanned CQL value like Python's str() of what the
// Python driver returns: None, True/False, numbers in decimal, text as is.
func PyStr(v any) string {
	rv := reflect.ValueOf(v)
	for rv.IsValid() && rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			return "None"
		}
		rv = rv.Elem()
	}
	if !rv.IsValid() {
		return "None"
	}
	switch x := rv.Interface().(type) {
	case bool:
		if x {
			return "True"
		}
		return "False"
	case string:
		return x
	case []byte:
		return fmt.Sprintf("b'%s'", x)
	case float32:
		return strconv.FormatFloat(float64(x), 'g', -1, 32)
	case float64:
		return strconv.FormatFloat(x, 'g', -1, 64)
	case time.Time:
		return x.UTC().Format("2006-01-02 15:04:05")
	case gocql.UUID:
		return x.String()
	case inf.Dec:
		return x.String()
	case big.Int:
		return x.String()
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprint(rv.Interface())
}
