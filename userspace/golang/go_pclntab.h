// .gopclntab, the table the Go runtime itself symbolizes with: present in
// stripped (-ldflags=-s -w) binaries, where .symtab and DWARF are gone.
// Formats read (src/debug/gosym/pclntab.go, src/runtime/symtab.go):
//   magic 0xfffffffa  Go 1.16, 1.17: function table of (entry uintptr, funcoff uintptr)
//   magic 0xfffffff0  Go 1.18, 1.19: (entryoff uint32, funcoff uint32) from pcHeader.textStart
//   magic 0xfffffff1  Go 1.20+:      as 1.18, _func gains startLine (after the fields read here)
// Go 1.2 .. 1.15 (0xfffffffb) is not read: threadleak supports Go 1.17+.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace threadleak {

class ElfImage;

struct GoFunc {
    std::string name;    ///< "main.leakRecv.func1"
    uint64_t entry = 0;  ///< link-time vaddr
    std::string file;    ///< "/tmp/x/main.go"
    int line = 0;        ///< line of the pc asked for
    bool inlined = false;  ///< a call the compiler inlined into the function at `entry`
};

/// .gopclntab of one binary, loaded once (owns a copy of its bytes).
class GoSymbols {
public:
    static std::unique_ptr<GoSymbols> open(const std::string& path, std::string* why_not);
    /// From an image already open (read_go_binary reads the file once).
    static std::unique_ptr<GoSymbols> from_image(const ElfImage& image, std::string* why_not);
    /// From the table's bytes, starting at its header (e.g. read from a process's
    /// memory, where the runtime keeps it mapped; or built by a test).
    static std::unique_ptr<GoSymbols> from_bytes(std::vector<uint8_t> bytes, std::string* why_not);

    /// The function holding link-time `pc`, with the file:line of `pc` itself. For a
    /// return address, the caller passes pc - 1 (the call instruction). An inlined
    /// call's pc gives the outer function's name with the inlined body's file:line.
    std::optional<GoFunc> lookup(uint64_t pc) const;
    /// Every frame at link-time `pc`, innermost first: each inlined call (its
    /// function's name, the file:line of `pc` within it), then the function that
    /// holds the code, at the file:line of the call site of the outermost inlined
    /// call. One element when nothing is inlined at `pc`; empty when no function
    /// holds it. (Like lookup(), pass pc - 1 for a return address.)
    /// GoFunc.entry is the holding function's entry in every element. Without the
    /// inline trees (from_bytes with no set_funcdata) this is {lookup(pc)}.
    /// Inlined wrappers are not elided (Go's traceback hides some).
    std::vector<GoFunc> lookup_inlined(uint64_t pc) const;
    /// Whether lookup_inlined can expand inlined calls: the bytes holding the
    /// functions' inline trees (go:func.*, outside .gopclntab) are known.
    bool has_inline_trees() const { return !fdata_.empty(); }
    /// Gives a table from from_bytes those bytes: `bytes` is the memory at
    /// link-time `vaddr` and must hold the inline trees; `gofunc` is
    /// runtime.firstmoduledata.gofunc (the base of the funcdata offsets of Go
    /// 1.18+; unused for 1.16/1.17, whose funcdata are absolute addresses).
    void set_funcdata(uint64_t vaddr, std::vector<uint8_t> bytes, uint64_t gofunc);
    /// Where the funcdata base came from: ".symtab", "moduledata" (found by the
    /// table's address in the data), "absolute" (1.16/1.17), "set" or "" (none).
    std::string_view funcdata_from() const { return funcdata_from_; }

    /// How far the stack pointer is below its value at the function's entry
    /// while at link-time `pc` (the pcsp table): the return address is then at
    /// sp + frame_size, the caller's sp at sp + frame_size + 8. This is how Go's
    /// own traceback walks stacks; it needs no frame pointer. nullopt if unknown.
    std::optional<int32_t> frame_size(uint64_t pc) const;
    /// Entry vaddr of a function by exact name ("runtime.allgadd"), from the func table.
    std::optional<uint64_t> entry_of(const std::string& name) const;
    /// [entry, end) of the function holding pc: the bytes an instruction scan may read.
    std::optional<std::pair<uint64_t, uint64_t>> range_of(uint64_t pc) const;

    size_t function_count() const { return nfunc_; }
    /// "1.16" (also 1.17), "1.18" (also 1.19) or "1.20" (1.20 and later).
    std::string_view format() const;

private:
    enum class Format { go116, go118, go120 };
    GoSymbols() = default;
    bool parse(std::string* why_not);
    uint64_t word(uint64_t off) const;  ///< ptrsize-wide little-endian value at off (0 out of bounds)
    uint32_t u32(uint64_t off) const;
    uint64_t func_entry(size_t i) const;  ///< entry of functab row i (row nfunc = end of text)
    uint64_t func_off(size_t i) const;    ///< offset of row i's _func in the func data
    std::string_view cstring(uint64_t off) const;
    std::optional<size_t> find_row(uint64_t pc) const;
    /// Value of the pcvalue table at pctab+off for pc in a function starting at entry.
    std::optional<int32_t> pcvalue(uint32_t off, uint64_t entry, uint64_t pc) const;
    /// Name of the function whose _func is at f, and file:line of pc in it.
    void fill(uint64_t f, uint64_t entry, uint64_t pc, GoFunc* out) const;
    /// _PCDATA_InlTreeIndex at pc (-1: not in an inlined call).
    int32_t inline_index(uint64_t f, uint64_t entry, uint64_t pc) const;
    /// Link-time vaddr of funcdata slot i of the _func at f (nullopt: none or unknown).
    std::optional<uint64_t> funcdata_vaddr(uint64_t f, unsigned i) const;
    std::optional<uint32_t> fdata_u32(uint64_t vaddr) const;
    /// from_image: locate the inline trees' bytes (the table sits at link-time pclntab_vaddr).
    void find_funcdata(const ElfImage& image, uint64_t pclntab_vaddr);

    std::vector<uint8_t> data_;
    Format format_ = Format::go118;
    uint8_t quantum_ = 1, ptrsize_ = 8;
    size_t nfunc_ = 0;
    uint64_t text_start_ = 0;
    uint64_t funcname_ = 0, cu_ = 0, filetab_ = 0, pctab_ = 0, funcdata_ = 0;
    // The inline trees' bytes: fdata_ is the memory at link-time fdata_vaddr_.
    std::vector<uint8_t> fdata_;
    uint64_t fdata_vaddr_ = 0, gofunc_ = 0;
    std::string funcdata_from_;
};

}  // namespace threadleak
