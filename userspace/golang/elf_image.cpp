#include "golang/elf_image.h"

#include <elf.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace threadleak {

namespace {

template <typename T>
bool read_struct(const uint8_t* data, size_t size, uint64_t off, T* out) {
    if (off > size || size - off < sizeof(T)) return false;
    std::memcpy(out, data + off, sizeof(T));
    return true;
}

}  // namespace

std::unique_ptr<ElfImage> ElfImage::open(const std::string& path, std::string* why_not) {
    auto fail = [&](const std::string& why) {
        if (why_not) *why_not = why;
        return std::unique_ptr<ElfImage>();
    };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return fail(path + ": " + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < static_cast<off_t>(sizeof(Elf64_Ehdr))) {
        ::close(fd);
        return fail(path + ": not a regular file large enough to be ELF");
    }
    void* map = mmap(nullptr, static_cast<size_t>(st.st_size), PROT_READ, MAP_PRIVATE, fd, 0);
    ::close(fd);  // the mapping keeps the file
    if (map == MAP_FAILED) return fail(path + ": mmap: " + std::strerror(errno));

    std::unique_ptr<ElfImage> img(new ElfImage());
    img->data_ = static_cast<const uint8_t*>(map);
    img->size_ = static_cast<size_t>(st.st_size);
    const uint8_t* d = img->data_;
    size_t n = img->size_;

    Elf64_Ehdr eh;
    read_struct(d, n, 0, &eh);
    if (std::memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0) return fail(path + ": not an ELF file");
    if (eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return fail(path + ": not a 64-bit little-endian ELF file");
    img->type_ = eh.e_type;
    img->machine_ = eh.e_machine;

    for (unsigned i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph;
        if (!read_struct(d, n, eh.e_phoff + uint64_t{i} * eh.e_phentsize, &ph)) break;
        if (ph.p_type != PT_LOAD) continue;
        img->loads_.push_back({ph.p_vaddr, ph.p_memsz, ph.p_offset, ph.p_filesz, ph.p_flags});
    }

    // Section headers may be absent (sstrip): everything below copes with none.
    std::vector<Elf64_Shdr> shdrs;
    for (unsigned i = 0; i < eh.e_shnum; ++i) {
        Elf64_Shdr sh;
        if (!read_struct(d, n, eh.e_shoff + uint64_t{i} * eh.e_shentsize, &sh)) break;
        shdrs.push_back(sh);
    }
    const char* names = nullptr;
    uint64_t names_size = 0;
    if (eh.e_shstrndx < shdrs.size()) {
        const Elf64_Shdr& s = shdrs[eh.e_shstrndx];
        if (s.sh_offset <= n && n - s.sh_offset >= s.sh_size) {
            names = reinterpret_cast<const char*>(d + s.sh_offset);
            names_size = s.sh_size;
        }
    }
    img->sections_.reserve(shdrs.size());
    for (const Elf64_Shdr& sh : shdrs) {
        ElfSection s;
        if (names && sh.sh_name < names_size)
            s.name.assign(names + sh.sh_name, strnlen(names + sh.sh_name, names_size - sh.sh_name));
        s.type = sh.sh_type;
        s.flags = sh.sh_flags;
        s.addr = sh.sh_addr;
        s.offset = sh.sh_offset;
        s.size = sh.sh_size;
        img->sections_.push_back(std::move(s));
    }
    for (size_t i = 0; i < shdrs.size(); ++i) {
        if (shdrs[i].sh_type == SHT_SYMTAB && shdrs[i].sh_link < shdrs.size()) {
            img->symtab_ = &img->sections_[i];
            img->strtab_ = &img->sections_[shdrs[i].sh_link];
        }
    }
    return img;
}

ElfImage::~ElfImage() {
    if (data_) munmap(const_cast<uint8_t*>(data_), size_);
}

const ElfSection* ElfImage::section(std::string_view name) const {
    for (const ElfSection& s : sections_)
        if (s.name == name) return &s;
    return nullptr;
}

std::span<const uint8_t> ElfImage::section_bytes(const ElfSection& s) const {
    if (s.type == SHT_NOBITS || s.offset > size_ || size_ - s.offset < s.size) return {};
    return {data_ + s.offset, s.size};
}

const ElfSegment* ElfImage::segment_of(uint64_t vaddr) const {
    for (const ElfSegment& seg : loads_)
        if (vaddr >= seg.vaddr && vaddr - seg.vaddr < seg.memsz) return &seg;
    return nullptr;
}

std::span<const uint8_t> ElfImage::bytes_at(uint64_t vaddr, uint64_t len) const {
    const ElfSegment* seg = segment_of(vaddr);
    if (!seg) return {};
    uint64_t in_seg = vaddr - seg->vaddr;
    if (in_seg > seg->filesz || seg->filesz - in_seg < len) return {};
    uint64_t off = seg->offset + in_seg;
    if (off > size_ || size_ - off < len) return {};
    return {data_ + off, len};
}

std::optional<uint64_t> ElfImage::file_offset(uint64_t vaddr) const {
    const ElfSegment* seg = segment_of(vaddr);
    if (!seg || vaddr - seg->vaddr >= seg->filesz) return std::nullopt;
    return vaddr - seg->vaddr + seg->offset;
}

std::optional<ElfSymbol> ElfImage::symbol(std::string_view name) const {
    if (!symtab_ || !strtab_) return std::nullopt;
    std::span<const uint8_t> syms = section_bytes(*symtab_);
    std::span<const uint8_t> strs = section_bytes(*strtab_);
    for (size_t off = 0; off + sizeof(Elf64_Sym) <= syms.size(); off += sizeof(Elf64_Sym)) {
        Elf64_Sym sym;
        std::memcpy(&sym, syms.data() + off, sizeof sym);
        if (sym.st_name >= strs.size() || sym.st_shndx == SHN_UNDEF) continue;
        const char* s = reinterpret_cast<const char*>(strs.data() + sym.st_name);
        size_t max = strs.size() - sym.st_name;
        if (name.size() < max && std::memcmp(s, name.data(), name.size()) == 0 && s[name.size()] == '\0')
            return ElfSymbol{sym.st_value, sym.st_size};
    }
    return std::nullopt;
}

}  // namespace threadleak
