// docs/isa.md must not drift from the table: it names every opcode and field, and embeds the
// generated reference tables verbatim. Run with BPUSIM_UPDATE_DOCS=1 to rewrite that part of
// the document from the table (then review the diff).
#include <gtest/gtest.h>

#include <fstream>

#include "isa/isa.h"
#include "isa/param_record.h"
#include "tests/support/test_util.h"

namespace bpusim::isa {
namespace {

constexpr std::string_view kBegin = "<!-- BEGIN GENERATED: bpusim asm --reference -->\n";
constexpr std::string_view kEnd = "<!-- END GENERATED -->\n";

std::string doc_path() {
  return testing::source_dir() + "/docs/isa.md";
}

TEST(IsaDoc, MentionsEveryOpcodeAndField) {
  const std::string doc = testing::read_text(doc_path());
  ASSERT_FALSE(doc.empty()) << doc_path();
  for (const OpcodeDef& op : kOpcodeDefs)
    EXPECT_NE(doc.find(cat("`", op.name, "`")), std::string::npos) << op.name;
  for (const FieldDef& f : kFieldDefs)
    EXPECT_NE(doc.find(cat("`", f.name, "`")), std::string::npos) << f.name;
  const ParamRecord r;
  for_each_param_field(r, [&](const char* name, size_t, const auto&, const char*) {
    EXPECT_NE(doc.find(cat("`", name, "`")), std::string::npos) << name;
  });
}

TEST(IsaDoc, EmbedsTheGeneratedReference) {
  std::string doc = testing::read_text(doc_path());
  const size_t begin = doc.find(kBegin);
  const size_t end = doc.find(kEnd);
  ASSERT_NE(begin, std::string::npos) << "docs/isa.md lacks the marker " << kBegin;
  ASSERT_NE(end, std::string::npos) << "docs/isa.md lacks the marker " << kEnd;
  ASSERT_LT(begin, end);
  const size_t body = begin + kBegin.size();
  std::string want(1, '\n');  // built in steps: GCC 12 warns wrongly on "\n" + s + "\n"
  want += markdown_reference();
  want += '\n';
  if (std::getenv("BPUSIM_UPDATE_DOCS")) {
    doc.replace(body, end - body, want);
    std::ofstream(doc_path(), std::ios::binary) << doc;
    GTEST_SKIP() << "rewrote " << doc_path();
  }
  EXPECT_EQ(doc.substr(body, end - body), want)
      << "docs/isa.md is out of date with isa/isa.def; rerun this test with "
         "BPUSIM_UPDATE_DOCS=1 and review the diff";
}

// The RTL core decodes with rtl_ref/core/bpu_isa.vh: it must be the table's Verilog header.
TEST(IsaDoc, TheRtlCoreDecodesWithTheTable) {
  const std::string path = testing::source_dir() + "/rtl_ref/core/bpu_isa.vh";
  if (std::getenv("BPUSIM_UPDATE_DOCS")) {
    std::ofstream(path, std::ios::binary) << verilog_header();
    GTEST_SKIP() << "rewrote " << path;
  }
  EXPECT_EQ(testing::read_text(path), verilog_header())
      << path << " is out of date with isa/isa.def; rerun this test with BPUSIM_UPDATE_DOCS=1 "
      << "(or bpusim asm --verilog > " << path << ") and review the diff";
}

}  // namespace
}  // namespace bpusim::isa
