"""Reference for benchmarks/startup.py: a minimal two-screen Kivy app, same environment.

Prints "first-frame <time>" on its first drawn frame, like the kiosk does under
KIOSK_BENCH_FIRST_FRAME, so both are measured by the same code.
"""

import time

from kivy.app import App
from kivy.core.window import Window
from kivy.uix.button import Button
from kivy.uix.screenmanager import Screen, ScreenManager


class Minimal(App):
    def build(self) -> ScreenManager:
        manager = ScreenManager()
        for name in ("one", "two"):
            screen = Screen(name=name)
            screen.add_widget(Button(text=f"screen {name}"))
            manager.add_widget(screen)
        Window.bind(on_flip=self.first_frame)
        return manager

    def first_frame(self, *_args) -> None:
        Window.unbind(on_flip=self.first_frame)
        print(f"first-frame {time.time():.6f}", flush=True)


if __name__ == "__main__":
    Minimal().run()
