# smoke-samples.sh: sourced by smoke-apps.sh. make_sample KIND DIR writes DIR/smoke.EXT, a small
# but real file of that kind, and prints its path. Every sample carries the word "smoke" in its
# name (and, where the format has one, in its title) so a window title can show it was opened.
# Only tools every Debian has (perl with its core modules, tar, gzip) or the smoke test already
# needs (ImageMagick).

# A one-page PDF with a line of text in a standard font (viewers must render it), with a
# correct cross-reference table so viewers do not have to repair it.
sample_pdf() {
  local text='BT /F1 24 Tf 72 700 Td (cloister smoke test: fonts render) Tj ET'
  local -a objs=(
    '<< /Type /Catalog /Pages 2 0 R >>'
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>'
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792]
   /Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>'
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'
    "<< /Length ${#text} >>
stream
$text
endstream"
  )
  local pdf='%PDF-1.4'$'\n' xref i
  xref="xref"$'\n'"0 $((${#objs[@]} + 1))"$'\n'"0000000000 65535 f "$'\n'
  for i in "${!objs[@]}"; do
    xref+=$(printf '%010d 00000 n ' "${#pdf}")$'\n'
    pdf+="$((i + 1)) 0 obj"$'\n'"${objs[$i]}"$'\n'"endobj"$'\n'
  done
  local start=${#pdf}
  pdf+="$xref""trailer"$'\n'"<< /Size $((${#objs[@]} + 1)) /Root 1 0 R >>"$'\n'
  pdf+="startxref"$'\n'"$start"$'\n''%%EOF'$'\n'
  printf '%s' "$pdf" >"$1"
}

# 20 s of a 440 Hz square wave, 8 kHz mono 8-bit PCM: long enough to be still playing when the
# test looks for the player's stream on the sound server.
sample_wav() {
  perl -e '
    my ($rate, $secs) = (8000, 20); my $n = $rate * $secs;
    print "RIFF", pack("V", 36 + $n), "WAVEfmt ", pack("VvvVVvv", 16, 1, 1, $rate, $rate, 1, 8),
          "data", pack("V", $n);
    for my $i (0 .. $n - 1) { print chr((int($i * 440 * 2 / $rate) % 2) ? 96 : 160) }' >"$1"
}

# 10 s of 160x120 raw video (YUV4MPEG2, which libavformat and GStreamer read): a bar that moves.
sample_y4m() {
  perl -e '
    my ($w, $h, $frames) = (160, 120, 250);
    print "YUV4MPEG2 W$w H$h F25:1 Ip A1:1 C420jpeg\n";
    for my $f (0 .. $frames - 1) {
      print "FRAME\n";
      my $x = ($f * 2) % $w;
      for my $y (0 .. $h - 1) {
        print join "", map { abs($_ - $x) < 8 ? chr(235) : chr(40 + $y) } 0 .. $w - 1;
      }
      print chr(128) x ($w * $h / 2);
    }' >"$1"
}

# A flat OpenDocument text or spreadsheet (one XML file, no zip container).
sample_fodt() {
  cat >"$1" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
 <office:body><office:text><text:p>cloister smoke test: a flat ODF text</text:p></office:text></office:body>
</office:document>
EOF
}
sample_fods() {
  cat >"$1" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"
  office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.spreadsheet">
 <office:body><office:spreadsheet><table:table table:name="smoke">
  <table:table-row><table:table-cell><text:p>cloister</text:p></table:table-cell>
   <table:table-cell office:value-type="float" office:value="42"><text:p>42</text:p></table:table-cell></table:table-row>
 </table:table></office:spreadsheet></office:body>
</office:document>
EOF
}

# A one-chapter EPUB 2 book titled "cloister smoke book" (zip: the mimetype entry first, stored).
sample_epub() {
  perl -MIO::Compress::Zip=zip,\$ZipError -e '
    my %f = (
      "META-INF/container.xml" => q{<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
 <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>},
      "OEBPS/content.opf" => q{<?xml version="1.0" encoding="UTF-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">
 <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
  <dc:title>cloister smoke book</dc:title><dc:language>en</dc:language>
  <dc:identifier id="id">urn:uuid:6f1c1e0e-0000-4000-8000-000000000011</dc:identifier>
 </metadata>
 <manifest>
  <item id="ch1" href="ch1.xhtml" media-type="application/xhtml+xml"/>
  <item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
 </manifest>
 <spine toc="ncx"><itemref idref="ch1"/></spine>
</package>},
      "OEBPS/toc.ncx" => q{<?xml version="1.0" encoding="UTF-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
 <head><meta name="dtb:uid" content="urn:uuid:6f1c1e0e-0000-4000-8000-000000000011"/></head>
 <docTitle><text>cloister smoke book</text></docTitle>
 <navMap><navPoint id="n1" playOrder="1"><navLabel><text>Smoke</text></navLabel>
  <content src="ch1.xhtml"/></navPoint></navMap>
</ncx>},
      "OEBPS/ch1.xhtml" => q{<?xml version="1.0" encoding="UTF-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>Smoke</title></head>
<body><h1>cloister smoke test</h1><p>A book opened in the sandbox.</p></body></html>},
    );
    my $z = IO::Compress::Zip->new($ARGV[0], Name => "mimetype", Method => 0)
      or die "zip: $ZipError";
    $z->print("application/epub+zip");
    for my $n (sort keys %f) { $z->newStream(Name => $n, Method => 8); $z->print($f{$n}) }
    $z->close' "$1"
}

make_sample() {
  local kind=$1 dir=$2 f
  f=$dir/smoke.$kind
  mkdir -p "$dir"
  case $kind in
    pdf) sample_pdf "$f" ;;
    png) convert -size 320x240 gradient:skyblue-navy "$f" ;;
    svg)
      printf '%s\n' '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240">' \
        '<title>smoke</title><rect width="320" height="240" fill="#2a6"/>' \
        '<circle cx="160" cy="120" r="80" fill="#fc3"/></svg>' >"$f" ;;
    txt) printf 'cloister smoke test\n' >"$f" ;;
    csv) printf 'what,value\ncloister smoke test,42\n' >"$f" ;;
    html)
      printf '%s\n' '<!DOCTYPE html><html><head><meta charset="utf-8">' \
        '<title>cloister smoke page</title></head>' \
        '<body><h1>cloister smoke test</h1><p>A local page opened in the sandbox.</p></body></html>' \
        >"$f" ;;
    wav) sample_wav "$f" ;;
    epub) sample_epub "$f" ;;
    y4m) sample_y4m "$f" ;;
    fodt) sample_fodt "$f" ;;
    fods) sample_fods "$f" ;;
    tar.gz)
      local src=$dir/.smoke-archive
      mkdir -p "$src/smoke"
      printf 'cloister smoke test\n' >"$src/smoke/readme.txt"
      tar -C "$src" -czf "$f" smoke
      rm -rf "$src" ;;
    *)
      echo "make_sample: unknown kind $kind" >&2
      return 1 ;;
  esac
  echo "$f"
}
