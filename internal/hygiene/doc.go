// Package hygiene holds repository-wide checks that keep the tree readable
// on its own: no absolute path of a development machine, no citation of a
// document that is not in the repository, and Markdown links that resolve.
// It has no production code.
package hygiene
