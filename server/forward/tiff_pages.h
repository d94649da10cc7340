// Reads the page directory of a TIFF file (TIFF 6.0, both byte orders)
// without a TIFF library: how many pages it has and how each is encoded.
// The fax renderer checks its own output with it and the tests check what
// HylaFAX keeps in its docq.
#ifndef HAIL_SERVER_FORWARD_TIFF_PAGES_H_
#define HAIL_SERVER_FORWARD_TIFF_PAGES_H_

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

namespace hail::server::forward {

struct TiffPage {
  uint32_t width = 0;        // ImageWidth (256), pixels
  uint32_t length = 0;       // ImageLength (257), rows
  uint32_t compression = 0;  // Compression (259): 3 is CCITT Group 3 fax
};

// The pages of `bytes`, in file order; nullopt when `bytes` is not a TIFF
// or a directory lies (partly) outside it. Never reads past the end;
// stops after 10000 pages or at a directory loop.
std::optional<std::vector<TiffPage>> ReadTiffPages(std::string_view bytes);

// True when `pages` is a fax document: at least one page, every page CCITT
// Group 3 at the standard fax width of 1728 pixels.
bool IsFaxG3(const std::vector<TiffPage>& pages);

}  // namespace hail::server::forward

#endif  // HAIL_SERVER_FORWARD_TIFF_PAGES_H_
