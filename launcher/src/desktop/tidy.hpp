// What desktop-file-validate (desktop-file-utils 0.26, Debian 12) would fault in an entry that
// is the packager's and not cloister's doing, put right without losing anything a launcher
// uses, so that every entry `desktop install` writes validates cleanly. Pure.
#pragma once

#include <string>
#include <vector>

#include "desktop/keyfile.hpp"

namespace cloister::desktop {

// - an Icon name with a file extension ("netsurf.png"; the Icon Theme Specification looks names
//   up without one): the extension is dropped;
// - a Comment (or a translation of it) that is the same text as the Name or GenericName of that
//   language: the Comment is dropped, since it says nothing more;
// - SingleMainWindow, which the 1.5 specification added after that validator: written as
//   X-GNOME-SingleWindow, the name GNOME Shell and KDE Plasma also read.
// Each change is described in `notes`.
void tidy_entry(KeyFile& file, std::vector<std::string>& notes);

}  // namespace cloister::desktop
