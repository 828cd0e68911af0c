package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"pulsedesk/storage"
	"pulsedesk/storage/export"
)

func init() {
	register(command{
		name:    "cases",
		summary: "the case log: list, search, show, export, import, backup, restore, delete",
		run:     runCases,
	})
}

const casesUsage = `usage: pulsectl cases SUBCOMMAND [ARGS] [--data DIR]
  list    [--status draft|signed] [--tag T] [--model M] [--from DATE] [--to DATE] [--limit N] [--after CURSOR] [--json]
  search  WORDS... [same filters as list] [--json]
  show    UID [--json]
  export  UID --pdf OUT.pdf
  export  [UID...] --bundle OUT.zip [--originals]   (all cases when no UID is given)
  import  BUNDLE.zip [--json]
  backup  OUT.db
  restore BACKUP.db --yes
  delete  UID --by NAME --reason TEXT --yes
UIDs may be shortened to their first digits when that is unambiguous.`

func runCases(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprintln(stderr, casesUsage)
		return usagef("cases needs a subcommand")
	}
	sub, rest := args[0], args[1:]
	switch sub {
	case "list", "search":
		return casesList(sub, rest, stdout, stderr)
	case "show":
		return casesShow(rest, stdout, stderr)
	case "export":
		return casesExport(rest, stdout, stderr)
	case "import":
		return casesImport(rest, stdout, stderr)
	case "backup":
		return casesBackup(rest, stdout, stderr)
	case "restore":
		return casesRestore(rest, stdout, stderr)
	case "delete":
		return casesDelete(rest, stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprintln(stderr, casesUsage)
		return nil
	}
	fmt.Fprintln(stderr, casesUsage)
	return usagef("unknown subcommand %q", sub)
}

// casesFlags makes the flag set of one subcommand with --data.
func casesFlags(sub string, stderr io.Writer) (*flag.FlagSet, *string) {
	fs := newFlags("cases "+sub, stderr)
	data := fs.String("data", "", "case log folder (default: the app's data folder)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, casesUsage)
		fs.PrintDefaults()
	}
	return fs, data
}

func openLog(data string) (*storage.Store, error) {
	dir, err := dataDir(data)
	if err != nil {
		return nil, err
	}
	return storage.OpenDir(dir)
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// parseDay reads 2026-11-26 or an RFC 3339 time.
func parseDay(flagName, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	t, err := time.ParseInLocation("2006-01-02", v, time.Local)
	if err != nil {
		return time.Time{}, usagef("--%s %q: give a date as 2026-11-26 or a time as 2026-11-26T08:00:00Z", flagName, v)
	}
	return t, nil
}

func casesList(sub string, args []string, stdout, stderr io.Writer) error {
	fs, data := casesFlags(sub, stderr)
	status := fs.String("status", "", "draft or signed")
	tag := fs.String("tag", "", "only cases with this tag")
	model := fs.String("model", "", "only cases with a run of this model")
	from := fs.String("from", "", "created on or after this date (2026-11-26)")
	to := fs.String("to", "", "created before the end of this date")
	limit := fs.Int("limit", 50, "cases per page")
	after := fs.String("after", "", "the cursor printed after the previous page")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if sub == "list" && len(pos) > 0 {
		return usagef("list takes no arguments (did you mean search?)")
	}
	if sub == "search" && len(pos) == 0 {
		return usagef("search needs the words to look for")
	}
	if *status != "" && *status != storage.StatusDraft && *status != storage.StatusSigned {
		return usagef("--status must be draft or signed")
	}
	if *limit < 1 {
		return usagef("--limit must be 1 or more")
	}
	f := storage.Filter{Query: strings.Join(pos, " "), Status: *status, Tag: *tag, Model: *model, Limit: *limit, After: *after}
	if f.From, err = parseDay("from", *from); err != nil {
		return err
	}
	if f.To, err = parseDay("to", *to); err != nil {
		return err
	}
	if !f.To.IsZero() && len(*to) == len("2006-01-02") {
		f.To = f.To.AddDate(0, 0, 1) // the whole day
	}
	st, err := openLog(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	p, err := st.ListCases(context.Background(), f)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, p)
	}
	if len(p.Cases) == 0 {
		fmt.Fprintln(stdout, "no cases")
		return nil
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCREATED\tSTATUS\tPATIENT\tTAGS\tUID")
	for _, c := range p.Cases {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", c.Number, c.CreatedAt.Local().Format("2006-01-02 15:04"), c.Status, oneLine(c.PatientRef, 30), strings.Join(c.Tags, ","), c.UID)
	}
	tw.Flush()
	if p.Next != "" {
		fmt.Fprintf(stdout, "more: --after %s\n", p.Next)
	}
	return nil
}

func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	if s == "" {
		return "—"
	}
	return s
}

func casesShow(args []string, stdout, stderr io.Writer) error {
	fs, data := casesFlags("show", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	arg, err := parseOne(fs, args, "case UID")
	if err != nil {
		return err
	}
	st, err := openLog(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	uid, err := st.ResolveCase(ctx, arg)
	if err != nil {
		return err
	}
	d, err := st.CaseDetail(ctx, uid)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, d)
	}
	c := d.Case
	fmt.Fprintf(stdout, "case %s (#%d), %s\n", c.UID, c.Number, c.Status)
	fmt.Fprintf(stdout, "  patient   %s\n", oneLine(c.PatientRef, 200))
	if c.Age != nil {
		fmt.Fprintf(stdout, "  age       %d\n", *c.Age)
	}
	if c.Sex != "" {
		fmt.Fprintf(stdout, "  sex       %s\n", c.Sex)
	}
	if c.Context != "" {
		fmt.Fprintf(stdout, "  context   %s\n", c.Context)
	}
	if len(c.Tags) > 0 {
		fmt.Fprintf(stdout, "  tags      %s\n", strings.Join(c.Tags, ", "))
	}
	fmt.Fprintf(stdout, "  created   %s, updated %s\n", stampLocal(c.CreatedAt), stampLocal(c.UpdatedAt))
	for _, doc := range d.Documents {
		fmt.Fprintf(stdout, "document %s: %s (%s, %d page(s), %d bytes, sha256 %s)\n", doc.UID, doc.Name, doc.MediaType, doc.Pages, doc.Size, doc.SHA256)
	}
	for _, m := range d.ModelInputs {
		fmt.Fprintf(stdout, "model input %s: %dx%d PNG, page %d, sha256 %s\n", m.UID, m.Width, m.Height, m.Page+1, m.SHA256)
	}
	for _, m := range d.Measurements {
		conf := "confirmed calibration"
		if !m.Confirmed {
			conf = "unconfirmed calibration"
		}
		fmt.Fprintf(stdout, "measurement %s: %s %g %s (%s)\n", m.UID, m.Kind, m.Value, m.Unit, conf)
	}
	for _, r := range d.Runs {
		fmt.Fprintf(stdout, "run %s: %s %s, %s, started %s\n", r.UID, r.Model, r.ModelDigest, r.Outcome, stampLocal(r.StartedAt))
		if r.Error != "" {
			fmt.Fprintf(stdout, "  error: %s\n", r.Error)
		}
		fmt.Fprintf(stdout, "  %s\n", strings.ReplaceAll(strings.TrimSpace(r.Answer), "\n", "\n  "))
	}
	for _, r := range d.Reports {
		kind := "saved"
		switch {
		case r.Signed && r.Amendment:
			kind = "signed amendment"
		case r.Signed:
			kind = "signed"
		case r.Amendment:
			kind = "amendment"
		}
		fmt.Fprintf(stdout, "report version %d (%s) by %s, %s\n  %s\n", r.Version, kind, r.Author, stampLocal(r.CreatedAt), strings.ReplaceAll(r.Body, "\n", "\n  "))
	}
	if d.Draft != nil {
		fmt.Fprintf(stdout, "unsaved draft by %s, %s\n  %s\n", d.Draft.Author, stampLocal(d.Draft.UpdatedAt), strings.ReplaceAll(d.Draft.Body, "\n", "\n  "))
	}
	return nil
}

func stampLocal(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.Local().Format("2006-01-02 15:04:05")
}

// createPrivate creates (or replaces) a file readable by its owner only.
func createPrivate(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

func casesExport(args []string, stdout, stderr io.Writer) error {
	fs, data := casesFlags("export", stderr)
	pdfPath := fs.String("pdf", "", "write the case as a PDF report to this file")
	bundlePath := fs.String("bundle", "", "write the cases as a bundle (zip) to this file")
	originals := fs.Bool("originals", false, "include the original documents in the bundle (they may show what the model input had redacted)")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if (*pdfPath == "") == (*bundlePath == "") {
		return usagef("export needs either --pdf FILE or --bundle FILE")
	}
	if *pdfPath != "" && len(pos) != 1 {
		return usagef("--pdf exports exactly one case UID")
	}
	if *pdfPath != "" && *originals {
		return usagef("--originals applies to --bundle only")
	}
	st, err := openLog(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	var uids []string
	for _, p := range pos {
		u, err := st.ResolveCase(ctx, p)
		if err != nil {
			return err
		}
		uids = append(uids, u)
	}
	if *pdfPath != "" {
		f, err := createPrivate(*pdfPath)
		if err != nil {
			return err
		}
		err = export.CasePDF(ctx, st, uids[0], f, export.Options{})
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			os.Remove(*pdfPath)
			return fmt.Errorf("%s: %w", *pdfPath, err)
		}
		fmt.Fprintf(stdout, "wrote %s\n", *pdfPath)
		return nil
	}
	man, err := st.ExportBundleFile(ctx, *bundlePath, uids, storage.BundleOptions{Originals: *originals})
	if err != nil {
		return err
	}
	what := "model inputs only (redacted as sent)"
	if *originals {
		what = "with the original documents"
	}
	fmt.Fprintf(stdout, "wrote %s: %d case(s), %s\n", *bundlePath, len(man.Cases), what)
	return nil
}

func casesImport(args []string, stdout, stderr io.Writer) error {
	fs, data := casesFlags("import", stderr)
	asJSON := fs.Bool("json", false, "print JSON")
	arg, err := parseOne(fs, args, "BUNDLE file")
	if err != nil {
		return err
	}
	st, err := openLog(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	res, err := st.ImportBundleFile(context.Background(), arg)
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(stdout, res)
	}
	fmt.Fprintf(stdout, "imported %s: %d new case(s), %d updated, %d unchanged; added %d run(s), %d report version(s), %d model input(s), %d measurement(s), %d document(s)\n",
		arg, res.CasesAdded, res.CasesUpdated, res.CasesUnchanged, res.Runs, res.Reports, res.ModelInputs, res.Measurements, res.Documents)
	if len(res.Deleted) > 0 {
		fmt.Fprintf(stdout, "not imported (deleted in this log): %s\n", strings.Join(res.Deleted, ", "))
	}
	return nil
}

func casesBackup(args []string, stdout, stderr io.Writer) error {
	fs, data := casesFlags("backup", stderr)
	arg, err := parseOne(fs, args, "OUT file")
	if err != nil {
		return err
	}
	st, err := openLog(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Backup(context.Background(), arg); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "backed up %s to %s (integrity check ok)\n", st.Path(), arg)
	return nil
}

func casesRestore(args []string, stdout, stderr io.Writer) error {
	fs, data := casesFlags("restore", stderr)
	yes := fs.Bool("yes", false, "confirm: replace the case log with the backup (the current log is kept beside it)")
	arg, err := parseOne(fs, args, "BACKUP file")
	if err != nil {
		return err
	}
	if !*yes {
		return usagef("restore replaces the case log: close PULSE Desk and add --yes to confirm")
	}
	dir, err := dataDir(*data)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("case log folder %s: %w", dir, err)
	}
	target := storage.PathIn(dir)
	kept, err := storage.Restore(context.Background(), arg, target)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s from %s\n", target, arg)
	if kept != "" {
		fmt.Fprintf(stdout, "the previous log is kept as %s\n", kept)
	}
	return nil
}

func casesDelete(args []string, stdout, stderr io.Writer) error {
	fs, data := casesFlags("delete", stderr)
	by := fs.String("by", "", "who deletes the case (kept in the tombstone)")
	reason := fs.String("reason", "", "why (kept in the tombstone)")
	yes := fs.Bool("yes", false, "confirm: delete the case and everything stored with it")
	arg, err := parseOne(fs, args, "case UID")
	if err != nil {
		return err
	}
	if strings.TrimSpace(*by) == "" || strings.TrimSpace(*reason) == "" {
		return usagef("delete needs --by NAME and --reason TEXT (they are kept in the tombstone)")
	}
	if !*yes {
		return usagef("deleting cannot be undone: add --yes to confirm")
	}
	st, err := openLog(*data)
	if err != nil {
		return err
	}
	defer st.Close()
	ctx := context.Background()
	uid, err := st.ResolveCase(ctx, arg)
	if err != nil {
		return err
	}
	t, err := st.DeleteCase(ctx, uid, *by, *reason)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "deleted case %s (tombstone: by %s, %s, %q)\n", t.CaseUID, t.DeletedBy, stampLocal(t.DeletedAt), t.Reason)
	return nil
}
