#include "server/forward/fax_render.h"

#include <gtest/gtest.h>

#include <string>

#include "server/forward/tiff_pages.h"
#include "tests/support/temp_dir.h"

namespace hail::server::forward {
namespace {

ForwardJob CjkJob() {
  ForwardJob job;
  job.job_key = "fax-1";
  job.address = "+4915112345678";
  job.sender = "alice";
  job.recipient = "bob";
  job.text = "你好，世界！こんにちは 안녕하세요 Grüße";
  job.sent_unix = 1796342400;  // 2026-12-04 00:00 UTC
  return job;
}

class FaxRenderTest : public ::testing::Test {
 protected:
  FaxRenderOptions Options(int max_pages) {
    FaxRenderOptions options;
    options.temp_dir = temp_.path();
    options.max_pages = max_pages;
    return options;
  }
  hail::testing::TempDir temp_;
};

TEST_F(FaxRenderTest, CjkTextBecomesAG3TiffOfOnePage) {
  FaxRenderer renderer(Options(5));
  RenderedFax fax = renderer.Render(CjkJob());
  ASSERT_EQ(fax.status, RenderedFax::Status::kOk) << fax.error;
  auto pages = ReadTiffPages(fax.tiff);
  ASSERT_TRUE(pages.has_value());
  ASSERT_EQ(pages->size(), 1u);
  EXPECT_EQ(fax.pages, 1);
  EXPECT_TRUE(IsFaxG3(*pages));
  EXPECT_EQ((*pages)[0].compression, 3u);
  EXPECT_EQ((*pages)[0].width, 1728u);
  // A4 at 196 lines per inch.
  EXPECT_NEAR((*pages)[0].length, 2289u, 5u);
  EXPECT_FALSE(fax.cut);
  EXPECT_NE(fax.page_text.find("你好，世界！"), std::string::npos);
}

TEST_F(FaxRenderTest, PageTextStartsWithTheHeaderBlock) {
  EXPECT_EQ(FaxRenderer::PageText(CjkJob(), "hi"),
            "From: alice via Hail\nTo: bob\nDate: 2026-12-04 00:00 UTC\n\nhi");
}

TEST_F(FaxRenderTest, OverlongTextIsCutToThePageLimitWithANote) {
  ForwardJob job = CjkJob();
  job.text.clear();
  for (int line = 0; line < 400; ++line) {
    job.text += "第" + std::to_string(line) + "行 line of a long message\n";
  }
  FaxRenderer renderer(Options(2));
  RenderedFax fax = renderer.Render(job);
  ASSERT_EQ(fax.status, RenderedFax::Status::kOk) << fax.error;
  EXPECT_TRUE(fax.cut);
  EXPECT_EQ(fax.pages, 2);
  auto pages = ReadTiffPages(fax.tiff);
  ASSERT_TRUE(pages.has_value());
  EXPECT_EQ(pages->size(), 2u);
  EXPECT_TRUE(IsFaxG3(*pages));
  // The note ends the text, and as much of the text as fits comes first.
  const std::string note = FaxRenderer::CutNote(2);
  ASSERT_GE(fax.page_text.size(), note.size());
  EXPECT_EQ(fax.page_text.substr(fax.page_text.size() - note.size()), note);
  EXPECT_NE(fax.page_text.find("第0行"), std::string::npos);
  EXPECT_EQ(fax.page_text.find("第399行"), std::string::npos);
  EXPECT_GT(fax.page_text.size(), job.text.size() / 4);
}

TEST_F(FaxRenderTest, TextWithinThePageLimitIsNotCut) {
  ForwardJob job = CjkJob();
  job.text = std::string(20, '\n') + "end";
  FaxRenderer renderer(Options(1));
  RenderedFax fax = renderer.Render(job);
  ASSERT_EQ(fax.status, RenderedFax::Status::kOk) << fax.error;
  EXPECT_FALSE(fax.cut);
  EXPECT_EQ(fax.pages, 1);
}

TEST_F(FaxRenderTest, InvalidUtf8AndControlCharactersBecomePrintable) {
  EXPECT_EQ(FaxRenderer::Printable("a\xff"
                                   "b"),
            "a\xEF\xBF\xBD"
            "b");
  EXPECT_EQ(FaxRenderer::Printable("a\r\nb\rc\fd\x01"
                                   "e"),
            "a\nb\nc d e");
  EXPECT_EQ(FaxRenderer::Printable("\xC2\x85x"), " x");
  EXPECT_EQ(FaxRenderer::Printable("\xE4\xBD"), "\xEF\xBF\xBD\xEF\xBF\xBD");
  ForwardJob job = CjkJob();
  job.text = "bad \xff\xfe bytes";
  RenderedFax fax = FaxRenderer(Options(1)).Render(job);
  EXPECT_EQ(fax.status, RenderedFax::Status::kOk) << fax.error;
}

TEST_F(FaxRenderTest, AMissingRendererIsAFailureWithTheReason) {
  FaxRenderOptions options = Options(1);
  options.paps_program = "hail-no-such-paps";
  RenderedFax fax = FaxRenderer(options).Render(CjkJob());
  EXPECT_EQ(fax.status, RenderedFax::Status::kFailed);
  EXPECT_NE(fax.error.find("hail-no-such-paps"), std::string::npos);
}

TEST(TiffPagesTest, RejectsWhatIsNotATiffAndTruncatedDirectories) {
  EXPECT_FALSE(ReadTiffPages("%!PS-Adobe-3.0").has_value());
  EXPECT_FALSE(ReadTiffPages(std::string("II*\0\x10\0\0\0", 8)).has_value());
  EXPECT_FALSE(IsFaxG3({}));
}

}  // namespace
}  // namespace hail::server::forward
