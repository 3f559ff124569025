package cassandra

import "testing"

func TestLoaderCause(t *testing.T) {
	trace := "progress: 0\nERROR 12:00:00 [Stream #1] Streaming error occurred on session with peer 127.0.0.4\n" +
		"java.lang.RuntimeException: stream failed\n\tat org.apache.cassandra.A.b(A.java:1)\n" +
		"Caused by: java.io.IOException: Connection reset\n\tat x.Y.z(Y.java:2)\n"
	for _, c := range []struct{ out, want string }{
		{trace, "ERROR 12:00:00 [Stream #1] Streaming error occurred on session with peer 127.0.0.4 | " +
			"Caused by: java.io.IOException: Connection reset"},
		{"java.lang.IllegalStateException: boom\n\tat a.B.c(B.java:1)\n", "java.lang.IllegalStateException: boom"},
		{"one\ntwo\n", "one | two"},
	} {
		if got := loaderCause(c.out); got != c.want {
			t.Errorf("loaderCause(%q) = %q, want %q", c.out, got, c.want)
		}
	}
}
